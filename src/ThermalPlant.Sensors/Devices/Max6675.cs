using System.Buffers.Binary;
using System.Device.Spi;

namespace ThermalPlant.Sensors.Devices;

/// <summary>
/// MAX6675 thermocouple converter on SPI (the original build's chip): 16-bit frame, D15 always 0,
/// D14..D3 temperature (12-bit unsigned, 0.25 degC, 0..1023.75), D2 open thermocouple, D1 always 0.
/// </summary>
public sealed class Max6675(SpiDevice spi) : IThermocouple, IDisposable
{
    /// <inheritdoc />
    public ThermocoupleReading Read()
    {
        Span<byte> frame = stackalloc byte[2];
        spi.Read(frame);
        return Decode(BinaryPrimitives.ReadUInt16BigEndian(frame));
    }

    /// <summary>
    /// Decodes one frame. A frame with its always-zero bits set, or all zeros, means no chip answered (MISO stuck)
    /// and throws: a dead bus must not read as 0 degC, at the price of reporting exactly 0.00 degC as an error.
    /// </summary>
    public static ThermocoupleReading Decode(ushort frame)
    {
        if ((frame & 0x8002) != 0 || frame == 0)
        {
            throw new DeviceException($"MAX6675 sent 0x{frame:X4}: no converter on the bus");
        }
        var fault = (frame & 0b100) != 0 ? ThermocoupleFault.OpenCircuit : ThermocoupleFault.None;
        return new ThermocoupleReading((frame >> 3) * 0.25, null, fault);
    }

    /// <inheritdoc />
    public void Dispose() => spi.Dispose();
}
