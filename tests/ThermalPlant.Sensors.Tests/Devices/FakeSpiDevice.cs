using System.Device.Spi;

namespace ThermalPlant.Sensors.Tests.Devices;

/// <summary>An SPI device that answers each read with the next scripted frame, or fails.</summary>
internal sealed class FakeSpiDevice(params byte[][] frames) : SpiDevice
{
    private readonly Queue<byte[]> _frames = new(frames);

    public Exception? Failure { get; set; }

    public override SpiConnectionSettings ConnectionSettings { get; } = new(0, 0);

    public override void Read(Span<byte> buffer)
    {
        if (Failure is not null) throw Failure;
        var frame = _frames.Dequeue();
        Assert.Equal(frame.Length, buffer.Length);
        frame.CopyTo(buffer);
    }

    public override byte ReadByte() => throw new NotSupportedException();

    public override void TransferFullDuplex(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer) => throw new NotSupportedException();

    public override void Write(ReadOnlySpan<byte> buffer) => throw new NotSupportedException("the converters are read-only");

    public override void WriteByte(byte value) => throw new NotSupportedException();
}
