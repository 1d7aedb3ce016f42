using ThermalPlant.Modbus.Maps;

namespace ThermalPlant.PowerToGas;

/// <summary>
/// The register map of the seed bridge's PEM electrolyzer (PEMEL): a status word at holding 0x8061 decoded
/// least-significant bit first into 16 flags, 14 process values from holding 0x8065 (raw unsigned words), and
/// the current set point written with FC06 to holding 0x8006. Reads use unit 0.
/// </summary>
public static class PemelRegisterMap
{
    /// <summary>Holding register of the status word.</summary>
    public const int StatusAddress = 0x8061;

    /// <summary>Holding register of the first process value.</summary>
    public const int ProcessValuesAddress = 0x8065;

    /// <summary>Holding register of the current set point (amperes), written with FC06.</summary>
    public const int CurrentSetPointAddress = 0x8006;

    /// <summary>Bit 10 of the status word: the H2 cooling temperature is reached (the control interlock).</summary>
    public const string CoolingTemperatureReached = "h2_cooling_temperature_reached";

    /// <summary>The bit of <see cref="CoolingTemperatureReached"/> in the status word, least significant first.</summary>
    public const int CoolingTemperatureReachedBit = 10;

    /// <summary>The status flags, least significant bit first.</summary>
    public static IReadOnlyList<string> StatusFlags { get; } =
    [
        "error", "mode_off", "mode_manual", "mode_automatic", "safety_ok", "fans", "cooling_pump", "h2_cooling_on",
        "h2_dryer", "water_valve", CoolingTemperatureReached, "valve", "pump_1", "pump_2", "pump_3", "reserved",
    ];

    /// <summary>The process values in register order, with their units.</summary>
    public static IReadOnlyList<(string Name, string Unit)> ProcessValues { get; } =
    [
        ("power", "W"), ("current", "A"), ("h2_pressure", "bar"), ("conductance", "uS/cm"), ("inlet_temperature", "degC"),
        ("cooler_valve", "%"), ("h2_flow", "NL/min"), ("h2_volume", "NL"), ("outlet_temperature_1", "degC"),
        ("outlet_temperature_2", "degC"), ("outlet_temperature_3", "degC"), ("outlet_temperature_4", "degC"),
        ("outlet_temperature_5", "degC"), ("h2_cooler_temperature", "degC"),
    ];

    /// <summary>The map, with the device's base register offset (0 for the published configuration).</summary>
    public static RegisterMap Create(int baseAddress = 0)
    {
        var map = new RegisterMap { BaseAddress = baseAddress };
        map.Registers.Add(new RegisterDefinition { Name = "status", Table = RegisterTable.Holding, Address = StatusAddress, Type = RegisterDataType.UInt16, Flags = [.. StatusFlags] });
        for (var i = 0; i < ProcessValues.Count; i++)
        {
            map.Registers.Add(new RegisterDefinition
            {
                Name = ProcessValues[i].Name,
                Table = RegisterTable.Holding,
                Address = ProcessValuesAddress + i,
                Type = RegisterDataType.UInt16,
                Unit = ProcessValues[i].Unit,
            });
        }
        return map;
    }
}
