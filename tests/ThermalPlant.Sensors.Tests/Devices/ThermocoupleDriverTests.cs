using Microsoft.Extensions.Time.Testing;
using ThermalPlant.Sensors.Devices;

namespace ThermalPlant.Sensors.Tests.Devices;

public sealed class ThermocoupleDriverTests
{
    // The MAX31855 datasheet's temperature tables: 14-bit thermocouple codes, 12-bit internal codes.
    [Theory]
    [InlineData(0b0011_1110_1000_00, 1000.00)]
    [InlineData(0b0000_0110_0100_11, 100.75)]
    [InlineData(0b0000_0001_1001_00, 25.00)]
    [InlineData(0b1111_1111_1111_11, -0.25)]
    [InlineData(0b1111_1111_1111_00, -1.00)]
    [InlineData(0b1111_0000_0110_00, -250.00)]
    [InlineData(0b0110_0100_0000_00, 1600.00)]
    public void Max31855_decodes_the_datasheet_thermocouple_codes(int code, double celsius)
    {
        var frame = ((uint)code << 18) | (0b0001_1001_0000u << 4);
        var reading = new Max31855(new FakeSpiDevice(Bytes(frame))).Read();
        Assert.Equal(celsius, reading.Celsius);
        Assert.Equal(25.0, reading.InternalCelsius);
        Assert.Equal(ThermocoupleFault.None, reading.Fault);
    }

    [Theory]
    [InlineData(0b0111_1111_0000, 127.0)]
    [InlineData(0b0110_0100_1001, 100.5625)]
    [InlineData(0b1111_1111_1111, -0.0625)]
    [InlineData(0b1110_1100_0000, -20.0)]
    [InlineData(0b1100_1001_0000, -55.0)]
    public void Max31855_decodes_the_datasheet_internal_codes(int code, double celsius)
    {
        var frame = (100u << 18) | ((uint)code << 4);
        Assert.Equal(celsius, Max31855.Decode(frame).InternalCelsius);
    }

    [Theory]
    [InlineData(0b001u, ThermocoupleFault.OpenCircuit)]
    [InlineData(0b010u, ThermocoupleFault.ShortToGround)]
    [InlineData(0b100u, ThermocoupleFault.ShortToVcc)]
    [InlineData(0b011u, ThermocoupleFault.OpenCircuit | ThermocoupleFault.ShortToGround)]
    public void Max31855_reports_each_fault_bit(uint bits, ThermocoupleFault expected)
    {
        var frame = (0b0001_1001_0000u << 4) | (1u << 16) | bits;
        Assert.Equal(expected, Max31855.Decode(frame).Fault);
    }

    [Theory]
    [InlineData(0x00000000u)]
    [InlineData(0xFFFFFFFFu)]
    [InlineData(0x00010000u)]
    // 25 degC with the reserved D17 set, with the reserved D3 set, and with D0 (open circuit) but no fault flag D16.
    [InlineData((100u << 18) | (1u << 17))]
    [InlineData((100u << 18) | (1u << 3))]
    [InlineData((100u << 18) | 1u)]
    public void Max31855_refuses_frames_no_converter_sends(uint frame) => Assert.Throws<DeviceException>(() => Max31855.Decode(frame));

    [Fact]
    public void A_bus_error_surfaces_as_an_io_exception()
    {
        var spi = new FakeSpiDevice { Failure = new IOException("spidev0.0: transfer failed") };
        Assert.Throws<IOException>(() => new Max31855(spi).Read());
    }

    [Theory]
    [InlineData((ushort)(100 << 3), 25.0)]
    [InlineData((ushort)(4095 << 3), 1023.75)]
    [InlineData((ushort)(1 << 3), 0.25)]
    public void Max6675_decodes_its_12_bit_value(ushort frame, double celsius)
    {
        var reading = new Max6675(new FakeSpiDevice([(byte)(frame >> 8), (byte)frame]), new FakeTimeProvider()).Read();
        Assert.Equal(celsius, reading.Celsius);
        Assert.Null(reading.InternalCelsius);
        Assert.Equal(ThermocoupleFault.None, reading.Fault);
    }

    [Fact]
    public void Max6675_is_read_at_most_once_per_conversion_time()
    {
        var time = new FakeTimeProvider();
        // 100 and 104 quarter degrees in D14..D3.
        var spi = new FakeSpiDevice([0x03, 0x20], [0x03, 0x40]);
        var chip = new Max6675(spi, time);
        Assert.Equal(25.0, chip.Read().Celsius);
        time.Advance(TimeSpan.FromMilliseconds(100));
        // A bus read now would abort the conversion in progress; the FakeSpiDevice would hand out the second frame.
        Assert.Equal(25.0, chip.Read().Celsius);
        time.Advance(Max6675.ConversionTime);
        Assert.Equal(26.0, chip.Read().Celsius);
    }

    [Fact]
    public void Max6675_open_thermocouple_bit() => Assert.Equal(ThermocoupleFault.OpenCircuit, Max6675.Decode((ushort)((100 << 3) | 0b100)).Fault);

    [Theory]
    [InlineData((ushort)0x0000)]
    [InlineData((ushort)0xFFFF)]
    [InlineData((ushort)0x8000)]
    public void Max6675_refuses_frames_no_converter_sends(ushort frame) => Assert.Throws<DeviceException>(() => Max6675.Decode(frame));

    private static byte[] Bytes(uint frame) => [(byte)(frame >> 24), (byte)(frame >> 16), (byte)(frame >> 8), (byte)frame];
}
