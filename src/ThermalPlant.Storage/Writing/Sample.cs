namespace ThermalPlant.Storage.Writing;

/// <summary>One value of one tag at its source timestamp.</summary>
/// <param name="Tag">The variable.</param>
/// <param name="Timestamp">The source timestamp, UTC (<see cref="DateTimeKind.Utc"/>).</param>
/// <param name="Value">The value; NaN when the source delivered none (stored as NULL, which aggregates skip).</param>
/// <param name="StatusCode">The OPC UA status code, stored as the signed int with the same bits.</param>
public readonly record struct Sample(TagKey Tag, DateTime Timestamp, double Value, uint StatusCode);
