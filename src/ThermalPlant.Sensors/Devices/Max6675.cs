using System.Buffers.Binary;
using System.Device.Spi;

namespace ThermalPlant.Sensors.Devices;

/// <summary>
/// MAX6675 thermocouple converter on SPI (the original build's chip): 16-bit frame, D15 always 0,
/// D14..D3 temperature (12-bit unsigned, 0.25 degC, 0..1023.75), D2 open thermocouple, D1 always 0.
/// Reading the chip aborts the conversion in progress, and one takes up to 220 ms: read more often and it never
/// finishes one, reporting its last result forever. So the bus is read at most once per conversion time and the
/// reading in between is the last one.
/// </summary>
public sealed class Max6675(SpiDevice spi, TimeProvider time) : IThermocouple, IDisposable
{
    /// <summary>The datasheet's maximum conversion time.</summary>
    public static readonly TimeSpan ConversionTime = TimeSpan.FromMilliseconds(220);

    private ThermocoupleReading? _last;
    private long _lastReadAt;

    /// <inheritdoc />
    public ThermocoupleReading Read()
    {
        if (_last is { } last && time.GetElapsedTime(_lastReadAt) < ConversionTime) return last;
        Span<byte> frame = stackalloc byte[2];
        spi.Read(frame);
        _lastReadAt = time.GetTimestamp();
        // A frame that does not decode is not repeated as the last good reading.
        _last = null;
        var reading = Decode(BinaryPrimitives.ReadUInt16BigEndian(frame));
        _last = reading;
        return reading;
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
