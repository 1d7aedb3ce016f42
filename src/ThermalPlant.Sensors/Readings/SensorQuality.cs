using System.Text.Json.Serialization;

namespace ThermalPlant.Sensors.Readings;

/// <summary>How far a reading can be trusted; maps onto OPC UA Good, Uncertain and Bad status codes.</summary>
public enum SensorQuality
{
    /// <summary>Measured and within range.</summary>
    [JsonStringEnumMemberName("good")]
    Good,
    /// <summary>Measured, but with less confidence than usual (e.g. too few pulses in the window).</summary>
    [JsonStringEnumMemberName("uncertain")]
    Uncertain,
    /// <summary>Not measured: the value must not be used; <c>fault</c> says why.</summary>
    [JsonStringEnumMemberName("bad")]
    Bad,
}
