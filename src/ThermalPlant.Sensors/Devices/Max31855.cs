using System.Buffers.Binary;
using System.Device.Spi;

namespace ThermalPlant.Sensors.Devices;

/// <summary>
/// MAX31855 cold-junction-compensated thermocouple converter on SPI (read-only, 32-bit frame, mode 0).
/// D31..D18 thermocouple temperature (14-bit signed, 0.25 degC), D16 fault, D15..D4 internal temperature
/// (12-bit signed, 0.0625 degC), D2 short to VCC, D1 short to GND, D0 open circuit; D17 and D3 are reserved and
/// always read 0.
/// </summary>
public sealed class Max31855(SpiDevice spi) : IThermocouple, IDisposable
{
    private const uint FaultBit = 1u << 16;
    private const uint ReservedBits = (1u << 17) | (1u << 3);
    private const uint FaultDetailBits = 0b111;

    /// <inheritdoc />
    public ThermocoupleReading Read()
    {
        Span<byte> frame = stackalloc byte[4];
        spi.Read(frame);
        return Decode(BinaryPrimitives.ReadUInt32BigEndian(frame));
    }

    /// <summary>
    /// Decodes one frame. A frame of all zeros or all ones means no chip answered (MISO stuck); a reserved bit set, or a
    /// fault bit without the fault flag, means a corrupted transfer (noise, a loose wire, another chip on the select
    /// line). Both throw rather than report a made-up temperature.
    /// </summary>
    public static ThermocoupleReading Decode(uint frame)
    {
        if (frame is 0 or uint.MaxValue)
        {
            throw new DeviceException($"MAX31855 sent 0x{frame:X8}: no converter on the bus (MISO stuck {(frame == 0 ? "low" : "high")})");
        }
        if ((frame & ReservedBits) != 0)
        {
            throw new DeviceException($"MAX31855 sent 0x{frame:X8}: a reserved bit is set (corrupted transfer)");
        }
        if ((frame & FaultBit) == 0 && (frame & FaultDetailBits) != 0)
        {
            throw new DeviceException($"MAX31855 sent 0x{frame:X8}: a fault bit without the fault flag (corrupted transfer)");
        }
        var thermocouple = ((int)frame >> 18) * 0.25;
        var internalCelsius = ((int)(frame << 16) >> 20) * 0.0625;
        var fault = ThermocoupleFault.None;
        if ((frame & FaultBit) != 0)
        {
            if ((frame & 0b001) != 0) fault |= ThermocoupleFault.OpenCircuit;
            if ((frame & 0b010) != 0) fault |= ThermocoupleFault.ShortToGround;
            if ((frame & 0b100) != 0) fault |= ThermocoupleFault.ShortToVcc;
            if (fault == ThermocoupleFault.None)
            {
                throw new DeviceException($"MAX31855 sent 0x{frame:X8}: fault flag without a fault bit");
            }
        }
        return new ThermocoupleReading(thermocouple, internalCelsius, fault);
    }

    /// <inheritdoc />
    public void Dispose() => spi.Dispose();
}
