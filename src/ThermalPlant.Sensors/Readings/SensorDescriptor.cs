namespace ThermalPlant.Sensors.Readings;

/// <summary>One entry of the <c>/sensors</c> catalog, from which the OPC UA server builds its nodes.</summary>
public sealed record SensorDescriptor
{
    /// <summary>Stable machine id, the <c>sensor</c> field of its readings.</summary>
    public required string Sensor { get; init; }

    /// <summary>Path below <c>Plant</c>; a vector's elements are <c>{Tag}/{ElementPrefix}{index}</c>.</summary>
    public required string Tag { get; init; }

    /// <summary>Human description for the node's Description attribute.</summary>
    public required string Description { get; init; }

    /// <summary>Engineering unit symbol, e.g. <c>degC</c>.</summary>
    public required string Unit { get; init; }

    /// <summary>UNECE Recommendation 20 code of the unit (OPC UA EUInformation), e.g. <c>CEL</c>.</summary>
    public required string UneceCode { get; init; }

    /// <summary>Data type of each value: <c>Double</c>.</summary>
    public string DataType { get; init; } = "Double";

    /// <summary>Number of elements of a vector sensor; null for a scalar.</summary>
    public int? Length { get; init; }

    /// <summary>Name prefix of a vector's elements, e.g. <c>Coefficient_</c>; null for a scalar.</summary>
    public string? ElementPrefix { get; init; }

    /// <summary>Lowest value the sensor can report (OPC UA EURange.Low).</summary>
    public required double RangeLow { get; init; }

    /// <summary>Highest value the sensor can report (OPC UA EURange.High).</summary>
    public required double RangeHigh { get; init; }

    /// <summary>The route serving this sensor's latest reading.</summary>
    public required string Route { get; init; }
}
