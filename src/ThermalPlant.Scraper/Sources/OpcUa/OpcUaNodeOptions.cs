namespace ThermalPlant.Scraper.Sources.OpcUa;

/// <summary>One node an endpoint lists to collect (an item of <c>Scraper:OpcUa:Endpoints:N:Nodes</c>), with the names it is stored under.</summary>
public sealed class OpcUaNodeOptions
{
    /// <summary>The node id in its standard form, e.g. <c>ns=2;s=Methanation.ReactorTemperature</c>.</summary>
    public string NodeId { get; set; } = "";

    /// <summary>The <c>sensorname</c> of its values.</summary>
    public string SensorName { get; set; } = "";

    /// <summary>The <c>tagname</c> of its values.</summary>
    public string TagName { get; set; } = "";

    internal void Validate(string prefix, ICollection<string> errors)
    {
        try
        {
            _ = global::ThermalPlant.OpcUa.Types.NodeId.Parse(NodeId);
        }
        catch (FormatException ex)
        {
            errors.Add($"{prefix}:NodeId is not a node id ({ex.Message})");
        }
        if (string.IsNullOrWhiteSpace(SensorName)) errors.Add($"{prefix}:SensorName must be set");
        if (string.IsNullOrWhiteSpace(TagName)) errors.Add($"{prefix}:TagName must be set");
    }
}
