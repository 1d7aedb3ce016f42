namespace ThermalPlant.Analytics.Diagnosis;

/// <summary>The machine-readable fault types of <see cref="Diagnosis.FaultType"/>.</summary>
public static class PlantFaultTypes
{
    /// <summary>The component is healthy (or not yet learned).</summary>
    public const string None = "none";

    /// <summary>Energy at the bearing's fault orders has grown above the machine's baseline at that speed.</summary>
    public const string BearingWear = "bearing_wear";

    /// <summary>The sensor reports a Bad status (an open thermocouple shows as this: OPC UA carries no finer reason).</summary>
    public const string BadReading = "bad_reading";

    /// <summary>The reading stopped changing where its physics has noise.</summary>
    public const string Stuck = "stuck";

    /// <summary>The thermocouples disagree with each other and the shaft speed more than the furnace model allows.</summary>
    public const string Drift = "drift";

    /// <summary>The supply voltage dropped below its baseline by more than the configured fraction.</summary>
    public const string VoltageSag = "voltage_sag";

    /// <summary>The supply voltage scatters from reading to reading far more than its baseline.</summary>
    public const string SupplyRipple = "supply_ripple";

    /// <summary>The shaft speed oscillates.</summary>
    public const string SpeedHunting = "speed_hunting";
}
