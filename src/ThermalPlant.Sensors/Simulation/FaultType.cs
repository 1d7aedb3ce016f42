using System.Text.Json.Serialization;

namespace ThermalPlant.Sensors.Simulation;

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
}
