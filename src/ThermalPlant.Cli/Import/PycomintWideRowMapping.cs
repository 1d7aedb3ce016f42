using System.Text.Json.Serialization;
using ThermalPlant.PowerToGas;

namespace ThermalPlant.Cli.Import;

/// <summary>
/// Turns <c>sql.yaml</c>'s wide-row table (table, columns) into the scraper's wide-row sink: each column takes the value
/// the bridge stored in it, found by its name among the OPC UA nodes of <c>opcua.yaml</c> (the flow request and the
/// storage nodes) and the PEMEL map (<c>status</c>, its 16 flags, its 14 process values).
/// </summary>
internal static class PycomintWideRowMapping
{
    private static readonly string[] TimestampNames = ["timestamp", "time", "datetime", "ts"];

    /// <summary>The section, or null when <c>sql.yaml</c> names no table; what cannot be mapped is added to <paramref name="notes"/>.</summary>
    public static WideRowSection? Map(PycomintSql sql, PycomintOpcUa opcua, string device, TimeSpan interval, List<string> notes)
    {
        if (string.IsNullOrWhiteSpace(sql.Table)) return null;
        var timestamp = sql.Columns.Find(c => TimestampNames.Contains(c, StringComparer.OrdinalIgnoreCase));
        if (timestamp is null)
        {
            timestamp = "timestamp";
            notes.Add($"sql.yaml's columns name no timestamp column ({string.Join(", ", TimestampNames)}); the wide rows use '{timestamp}'");
        }
        var columns = new List<WideRowColumn>();
        foreach (var name in sql.Columns)
        {
            if (name == timestamp) continue;
            if (Source(name, opcua, device) is { } column) columns.Add(column);
            else notes.Add($"sql.yaml's column '{name}' matches no OPC UA node of opcua.yaml and no PEMEL register; it is left out of the wide rows (NULL in the table)");
        }
        notes.Add($"sql.yaml's wide-row table '{sql.Table}' ({columns.Count} value columns) is written by the scraper into its own database (Scraper:WideRow), not to {sql.Host}:{sql.Port}/{sql.Database}; sensor_data holds every value as well");
        return new WideRowSection(sql.Table, timestamp, interval, false, columns);
    }

    private static WideRowColumn? Source(string name, PycomintOpcUa opcua, string device)
    {
        if (string.Equals(name, "h2_flow_request", StringComparison.OrdinalIgnoreCase) && !string.IsNullOrEmpty(opcua.Nodes.H2FlowRequest))
        {
            return new WideRowColumn(name, null, null, opcua.Nodes.H2FlowRequest);
        }
        foreach (var (key, node) in opcua.Nodes.Storage)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase)) return new WideRowColumn(name, null, null, node);
        }
        if (string.Equals(name, "status", StringComparison.OrdinalIgnoreCase)) return new WideRowColumn(name, device, "status", null);
        foreach (var flag in PemelRegisterMap.StatusFlags)
        {
            if (string.Equals(flag, name, StringComparison.OrdinalIgnoreCase)) return new WideRowColumn(name, device, $"status.{flag}", null);
        }
        foreach (var (value, _) in PemelRegisterMap.ProcessValues)
        {
            if (string.Equals(value, name, StringComparison.OrdinalIgnoreCase)) return new WideRowColumn(name, device, value, null);
        }
        return null;
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
