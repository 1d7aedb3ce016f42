using System.Text.Json.Serialization;

namespace ThermalPlant.Cli.Import;

/// <summary>
/// Turns <c>config_sql.yaml</c>'s table (<c>DB_TABLE</c>, <c>DB_COLUMNS</c>) into the scraper's wide-row sink. The bridge
/// inserts its values by position: the timestamp, the OPC UA nodes' values in <c>OPCUA_NODE_IDs</c> order, the 16
/// status flags, then the <c>COUNT</c> process values; so each column takes the value at its position, whatever its name.
/// </summary>
internal static class PycomintWideRowMapping
{
    /// <summary>Tag names of the stored OPC UA nodes: the bridge's column name at each node's position, else the node id's last name.</summary>
    public static string[] NodeNames(PycomintConfiguration bridge)
    {
        var names = new string[bridge.StoredNodes.Count];
        for (var i = 0; i < names.Length; i++)
        {
            var column = i + 1 < bridge.Columns.Count ? bridge.Columns[i + 1] : null;
            var node = bridge.StoredNodes[i] ?? "";
            var name = PycomintConfiguration.TagName(column ?? node[(node.LastIndexOfAny([':', '.', '=']) + 1)..]);
            names[i] = name.Length > 0 && !names.AsSpan(0, i).Contains(name) ? name : $"node_{i}";
        }
        return names;
    }

    /// <summary>The section, or null when the bridge's files name no columns; what does not line up is added to the report's notes.</summary>
    public static WideRowSection? Map(PycomintConfiguration bridge, string[] nodeNames, string[] flags, string[] values, string device, TimeSpan interval, ImportReport report)
    {
        if (bridge.Columns.Count == 0) return null;
        var sources = new List<WideRowColumn?>();
        for (var i = 0; i < bridge.StoredNodes.Count; i++) sources.Add(bridge.StoredNodes[i] is { } node ? new WideRowColumn("", null, null, node) : null);
        foreach (var flag in flags) sources.Add(new WideRowColumn("", device, $"status.{flag}", null));
        foreach (var value in values) sources.Add(new WideRowColumn("", device, value, null));
        var file = PycomintConfiguration.SqlFile;
        if (bridge.Columns.Count != sources.Count + 1)
        {
            report.Note($"{file}: DB_COLUMNS names {bridge.Columns.Count} columns, but the bridge inserts {sources.Count + 1} values (the timestamp, {nodeNames.Length} OPC UA values, 16 flags, {values.Length} process values); columns are matched by position as far as both go");
        }

        var timestamp = Column(bridge.Columns[0], file, report) ?? "timestamp";
        var columns = new List<WideRowColumn>();
        for (var i = 1; i < bridge.Columns.Count && i <= sources.Count; i++)
        {
            // A placeholder column or node keeps its place: the name or source is left for the user to fill in.
            var name = Column(bridge.Columns[i], file, report) ?? "";
            var source = sources[i - 1] ?? new WideRowColumn("", null, null, "");
            columns.Add(source with { Name = name });
        }
        if (bridge.Table is { } table)
        {
            report.Note($"{file}: the table '{table}' ({columns.Count} value columns) is written by the scraper into its own database (Scraper:WideRow, with CreateTable false: it must exist there), not to the bridge's DB_HOST/DB_NAME; sensor_data holds every value as well");
        }
        return new WideRowSection(bridge.Table ?? "", timestamp, interval, false, columns);
    }

    // PostgreSQL folds unquoted names to lower case, so the bridge's columns exist in lower case; the scraper quotes names.
    private static string? Column(string? name, string file, ImportReport report)
    {
        if (name is null) return null;
        var lower = name.ToLowerInvariant();
        if (lower != name) report.Note($"{file}: DB_COLUMNS '{name}' is the column '{lower}' (PostgreSQL folds unquoted names to lower case)");
        return lower;
    }
}

/// <summary>The scraper's <c>WideRow</c> section.</summary>
internal sealed record WideRowSection(string Table, string TimestampColumn, TimeSpan Interval, bool CreateTable, IReadOnlyList<WideRowColumn> Columns);

/// <summary>One wide-row column: its value by sensorname and tagname (Modbus) or by node id (OPC UA).</summary>
internal sealed record WideRowColumn(
    string Name,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Sensor,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Tag,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? NodeId);
