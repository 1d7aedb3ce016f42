namespace ThermalPlant.Storage.WideRows;

/// <summary>One row of a wide table.</summary>
/// <param name="Timestamp">The storage cycle's time, UTC.</param>
/// <param name="Values">One value per column of the definition, in its order; null is stored as NULL (a value that is missing, Bad or stale).</param>
public sealed record WideRow(DateTime Timestamp, IReadOnlyList<double?> Values);
