using System.Text.Json.Serialization;

namespace ThermalPlant.Sensors.Readings;

/// <summary>
/// The latest sample of one sensor, in the shape every route serves: a scalar carries <see cref="Value"/>,
/// a vector (MFCC, spectrum) carries <see cref="Values"/> and the <see cref="Parameters"/> that produced it.
/// </summary>
public sealed record Reading
{
    /// <summary>Stable machine id of the sensor, e.g. <c>temperature_upper</c>.</summary>
    public required string Sensor { get; init; }

    /// <summary>Path of the sensor below <c>Plant</c>, e.g. <c>Temperature/Upper</c>.</summary>
    public required string Tag { get; init; }

    /// <summary>The scalar value; null for vectors and for a bad reading.</summary>
    public double? Value { get; init; }

    /// <summary>The vector values; null for scalars and for a bad reading.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<double>? Values { get; init; }

    /// <summary>Engineering unit, e.g. <c>degC</c>.</summary>
    public required string Unit { get; init; }

    /// <summary>When the sample was taken (UTC).</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Quality of the sample.</summary>
    public required SensorQuality Quality { get; init; }

    /// <summary>Null, or a machine-readable reason such as <c>open_circuit</c>.</summary>
    public string? Fault { get; init; }

    /// <summary>Parameters of a derived vector (sample rate, n_fft, ...); null for scalars.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, double>? Parameters { get; init; }
}
