using System.Buffers.Binary;
using System.Device.I2c;

namespace ThermalPlant.Sensors.Tests.Devices;

/// <summary>
/// An ADS1115 register model: a config write starts a conversion of <see cref="InputVolts"/> at the written range,
/// clipped to it; the OS bit reads 0 for <see cref="BusyPolls"/> polls.
/// </summary>
internal sealed class FakeAds1115 : I2cDevice
{
    private ushort _config = 0x8583;
    private short _conversion;
    private int _busy;

    public double InputVolts { get; set; }

    public int BusyPolls { get; set; } = 1;

    public List<ushort> ConfigWrites { get; } = [];

    public override I2cConnectionSettings ConnectionSettings { get; } = new(1, 0x48);

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Assert.Equal(3, buffer.Length);
        Assert.Equal(0x01, buffer[0]);
        _config = BinaryPrimitives.ReadUInt16BigEndian(buffer[1..]);
        ConfigWrites.Add(_config);
        var fullScale = ((_config >> 9) & 0b111) switch { 0 => 6.144, 1 => 4.096, 2 => 2.048, 3 => 1.024, 4 => 0.512, _ => 0.256 };
        _conversion = (short)Math.Clamp(Math.Round(InputVolts / fullScale * 32768), short.MinValue, short.MaxValue);
        _busy = BusyPolls;
    }

    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        if (writeBuffer[0] == 0x01)
        {
            var os = _busy-- > 0 ? 0 : 0x8000;
            BinaryPrimitives.WriteUInt16BigEndian(readBuffer, (ushort)((_config & 0x7FFF) | os));
        }
        else
        {
            Assert.Equal(0x00, writeBuffer[0]);
            BinaryPrimitives.WriteInt16BigEndian(readBuffer, _conversion);
        }
    }

    public override void Read(Span<byte> buffer) => throw new NotSupportedException();

    public override byte ReadByte() => throw new NotSupportedException();

    public override void WriteByte(byte value) => throw new NotSupportedException();
}
