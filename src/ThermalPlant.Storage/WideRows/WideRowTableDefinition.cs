namespace ThermalPlant.Storage.WideRows;

/// <summary>
/// A wide table: one row per storage cycle, a timestamp column and one column per value, as the seed bridge stored
/// its Power-to-Gas data next to what the suite stores in <c>sensor_data</c>.
/// </summary>
/// <param name="Schema">The table's schema; null takes the first schema of the connection's search path.</param>
/// <param name="Table">The table's name, taken literally (quoted).</param>
/// <param name="TimestampColumn">The column holding each row's time.</param>
/// <param name="Columns">The value columns, in the order of <see cref="WideRow.Values"/>.</param>
public sealed record WideRowTableDefinition(string? Schema, string Table, string TimestampColumn, IReadOnlyList<string> Columns)
{
    /// <summary>Every problem of the names (empty, too long, repeated), each naming the configuration key under <paramref name="prefix"/>.</summary>
    public IEnumerable<string> Validate(string prefix)
    {
        if (Schema is not null && PgIdentifier.Problem(Schema) is { } schema) yield return $"{prefix}:Schema {schema}";
        if (PgIdentifier.Problem(Table) is { } table) yield return $"{prefix}:Table {table}";
        if (PgIdentifier.Problem(TimestampColumn) is { } timestamp) yield return $"{prefix}:TimestampColumn {timestamp}";
        if (Columns.Count == 0) yield return $"{prefix}:Columns must list at least one value column";
        // PostgreSQL compares quoted names exactly, so only exact repeats collide.
        var seen = new HashSet<string>(StringComparer.Ordinal) { TimestampColumn };
        for (var i = 0; i < Columns.Count; i++)
        {
            if (PgIdentifier.Problem(Columns[i]) is { } column) yield return $"{prefix}:Columns:{i}:Name {column}";
            else if (!seen.Add(Columns[i])) yield return $"{prefix}:Columns:{i}:Name '{Columns[i]}' is used by another column";
        }
    }
}
