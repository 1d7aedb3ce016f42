using System.Text.Json.Serialization;

namespace ThermalPlant.Sensors.Settings;

/// <summary>Where readings come from.</summary>
public enum SensorsMode
{
    /// <summary>The simulated plant (the default when no hardware is configured).</summary>
    [JsonStringEnumMemberName("simulated")]
    Simulated,
    /// <summary>Real devices on SPI, I2C, GPIO and ALSA.</summary>
    [JsonStringEnumMemberName("hardware")]
    Hardware,
}
