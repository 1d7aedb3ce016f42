using System.Text.Json.Serialization;

namespace ThermalPlant.Simulation;

/// <summary>Faults the simulated plant can be given.</summary>
public enum FaultType
{
    /// <summary>A thermocouple wire breaks: the converter reports an open circuit.</summary>
    [JsonStringEnumMemberName("open_thermocouple")]
    OpenThermocouple,
    /// <summary>A bearing wears: given shaft harmonics grow over time in the audio.</summary>
    [JsonStringEnumMemberName("bearing_wear")]
    BearingWear,
    /// <summary>The supply sags by a fraction for a duration.</summary>
    [JsonStringEnumMemberName("voltage_sag")]
    VoltageSag,
    /// <summary>A thermocouple's converter keeps returning the reading it had when the fault began.</summary>
    [JsonStringEnumMemberName("stuck_thermocouple")]
    StuckThermocouple,
    /// <summary>A thermocouple decalibrates: its reading gains an offset that grows at a rate.</summary>
    [JsonStringEnumMemberName("thermocouple_drift")]
    ThermocoupleDrift,
    /// <summary>The shaft's speed control hunts: the speed oscillates with an amplitude and period.</summary>
    [JsonStringEnumMemberName("speed_hunting")]
    SpeedHunting,
    /// <summary>The supply's smoothing fails: extra ripple at twice the mains frequency.</summary>
    [JsonStringEnumMemberName("supply_ripple")]
    SupplyRipple,
}
