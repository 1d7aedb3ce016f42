using System.Text.Json.Serialization;

namespace ThermalPlant.OpcServer.Dmz;

/// <summary>The sensors service's <c>/sensors</c> document: the catalog the nodes are built from.</summary>
/// <param name="Version">Changes whenever the catalog does.</param>
/// <param name="Sensors">Every sensor.</param>
public sealed record SensorCatalogDocument(string? Version, IReadOnlyList<SensorEntry> Sensors);

/// <summary>One sensor of the catalog.</summary>
public sealed record SensorEntry
{
    /// <summary>Stable machine id, e.g. <c>temperature_upper</c>.</summary>
    public required string Sensor { get; init; }

    /// <summary>Path below Plant, e.g. <c>Temperature/Upper</c>.</summary>
    public required string Tag { get; init; }

    /// <summary>Human description.</summary>
    public string? Description { get; init; }

    /// <summary>Unit symbol, e.g. <c>degC</c>.</summary>
    public string? Unit { get; init; }

    /// <summary>UNECE Recommendation 20 code of the unit, e.g. <c>CEL</c>.</summary>
    public string? UneceCode { get; init; }

    /// <summary>Element count of a vector sensor; null for a scalar.</summary>
    public int? Length { get; init; }

    /// <summary>Name prefix of a vector's elements, e.g. <c>Coefficient_</c>.</summary>
    public string? ElementPrefix { get; init; }

    /// <summary>Lowest value the sensor reports.</summary>
    public double RangeLow { get; init; }

    /// <summary>Highest value the sensor reports.</summary>
    public double RangeHigh { get; init; }
}

/// <summary>The sensors service's <c>/readings</c> document: every current reading.</summary>
/// <param name="Timestamp">When the document was composed.</param>
/// <param name="Readings">The readings.</param>
public sealed record ReadingsDocument(DateTimeOffset Timestamp, IReadOnlyList<SensorReading> Readings);

/// <summary>One reading: a scalar's <see cref="Value"/> or a vector's <see cref="Values"/>, with quality and fault.</summary>
public sealed record SensorReading
{
    /// <summary>The sensor's id.</summary>
    public required string Sensor { get; init; }

    /// <summary>The scalar value; null for vectors and bad readings.</summary>
    public double? Value { get; init; }

    /// <summary>The vector values; null for scalars and bad readings.</summary>
    public IReadOnlyList<double?>? Values { get; init; }

    /// <summary>When the sensor was sampled.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary><c>good</c>, <c>uncertain</c> or <c>bad</c>.</summary>
    public string? Quality { get; init; }

    /// <summary>Null, or a machine-readable reason such as <c>open_circuit</c>.</summary>
    public string? Fault { get; init; }
}

/// <summary>Source-generated snake_case JSON for the sensors documents.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(SensorCatalogDocument))]
[JsonSerializable(typeof(ReadingsDocument))]
internal sealed partial class SensorsJsonContext : JsonSerializerContext;
