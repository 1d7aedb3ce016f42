using ThermalPlant.Storage.Writing;

namespace ThermalPlant.Scraper.Delivery;

/// <summary>
/// One column of the wide-row table and the value it takes, named as the value is stored in <c>sensor_data</c>:
/// by <see cref="Sensor"/> and <see cref="Tag"/> (sensorname, tagname), or by <see cref="NodeId"/> (nodeid), optionally
/// narrowed to one <see cref="Endpoint"/> (clientid).
/// </summary>
public sealed class WideRowColumnOptions
{
    /// <summary>The column's name in the table, taken literally.</summary>
    public string Name { get; set; } = "";

    /// <summary>The value's sensorname (an OPC UA endpoint's first level, a Modbus device's name).</summary>
    public string? Sensor { get; set; }

    /// <summary>The value's tagname (for a Modbus flag <c>register.flag</c>).</summary>
    public string? Tag { get; set; }

    /// <summary>The value's node id, e.g. <c>ns=2;s=Methanation.H2FlowRequest</c>; instead of <see cref="Sensor"/> and <see cref="Tag"/>.</summary>
    public string? NodeId { get; set; }

    /// <summary>Only values from this endpoint URL (or <c>modbus://host:port/unit</c>); unset takes any.</summary>
    public string? Endpoint { get; set; }

    /// <summary>Whether <paramref name="tag"/>'s values fill this column; names compare as the naming rule lower-cases them.</summary>
    internal bool Matches(TagKey tag)
    {
        if (!string.IsNullOrEmpty(Endpoint) && !string.Equals(Endpoint, tag.Endpoint, StringComparison.Ordinal)) return false;
        if (!string.IsNullOrEmpty(NodeId)) return string.Equals(NodeId, tag.NodeId, StringComparison.Ordinal);
        return string.Equals(Sensor, tag.SensorName, StringComparison.OrdinalIgnoreCase)
            && string.Equals(Tag, tag.TagName, StringComparison.OrdinalIgnoreCase);
    }

    internal void Validate(string prefix, ICollection<string> errors)
    {
        var byNode = !string.IsNullOrWhiteSpace(NodeId);
        var byName = !string.IsNullOrWhiteSpace(Sensor) || !string.IsNullOrWhiteSpace(Tag);
        if (byNode && byName) errors.Add($"{prefix} names its value twice: set either NodeId or Sensor and Tag");
        else if (!byNode && (string.IsNullOrWhiteSpace(Sensor) || string.IsNullOrWhiteSpace(Tag))) errors.Add($"{prefix} needs Sensor and Tag (or NodeId) to name its value");
    }
}
