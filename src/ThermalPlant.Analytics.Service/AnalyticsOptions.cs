using ThermalPlant.Analytics.Service.Sources;
using ThermalPlant.Hosting;
using ThermalPlant.OpcUa.Server;

namespace ThermalPlant.Analytics.Service;

/// <summary>The analytics service's settings (section <c>Analytics</c>); the security keys of its OPC UA endpoint are those of every server host.</summary>
public sealed class AnalyticsOptions() : ServerSecuritySettings("data/pki"), IValidatableOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Analytics";

    /// <summary>The endpoints whose numeric variables are analysed (the plant's OPC UA server in appsettings.json).</summary>
    public IList<AnalyticsEndpointOptions> Sources { get; set; } = [];

    /// <summary>OPC UA TCP port of the results endpoint.</summary>
    public int Port { get; set; } = 4842;

    /// <summary>Address listened on (0.0.0.0 for every interface).</summary>
    public string ListenAddress { get; set; } = "0.0.0.0";

    /// <summary>Path of the results endpoint's URL.</summary>
    public string EndpointPath { get; set; } = "/thermalplant/analytics/";

    /// <summary>Host name put into endpoint URLs (and the certificate made on first start); empty for the machine's name.</summary>
    public string HostName { get; set; } = "";

    /// <summary>URI of the results' namespace (index 2 on this server).</summary>
    public string NamespaceUri { get; set; } = "urn:thermalplant:analytics";

    /// <summary>Shortest publishing interval a client's subscription may ask for.</summary>
    public TimeSpan MinPublishingInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Results kept as history per variable (for a scraper's back-fill after a gap), at most this old.</summary>
    public TimeSpan HistoryRetention { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Most history values kept per variable.</summary>
    public int HistoryCapacity { get; set; } = 3_600;

    /// <summary>The file detector and diagnoser state is kept in across restarts; empty keeps it in memory only (a restart relearns).</summary>
    public string StatePath { get; set; } = "data/analytics-state.bin";

    /// <summary>How often the state file is written (it is written on stop too).</summary>
    public TimeSpan StateSaveInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Whether <c>/metrics</c> has one anomaly-score series per tag (<c>thermalplant_analytics_anomaly_score</c>); turn it
    /// off for tens of thousands of tags, where the per-state counts and totals stay.
    /// </summary>
    public bool PerTagScoreMetrics { get; set; } = true;

    /// <inheritdoc />
    public void Validate(string sectionPath, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (Sources.Count == 0) errors.Add($"{sectionPath}:Sources must list at least one endpoint to analyse");
        var urls = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Sources.Count; i++)
        {
            var key = $"{sectionPath}:Sources:{i}";
            Sources[i].Validate(key, errors);
            if (!urls.Add($"{Sources[i].Url} {Sources[i].Root}")) errors.Add($"{key}: {Sources[i].Url} with Root {Sources[i].Root} is configured twice");
        }
        if (Port is < 0 or > 65535) errors.Add($"{sectionPath}:Port must be 0-65535");
        if (!System.Net.IPAddress.TryParse(ListenAddress, out _)) errors.Add($"{sectionPath}:ListenAddress must be an IP address");
        if (EndpointPath is null || !EndpointPath.StartsWith('/')) errors.Add($"{sectionPath}:EndpointPath must start with '/'");
        if (string.IsNullOrWhiteSpace(NamespaceUri)) errors.Add($"{sectionPath}:NamespaceUri must be set");
        if (MinPublishingInterval < TimeSpan.FromMilliseconds(5) || MinPublishingInterval > TimeSpan.FromSeconds(10)) errors.Add($"{sectionPath}:MinPublishingInterval must be 5 ms to 10 s");
        if (HistoryRetention <= TimeSpan.Zero) errors.Add($"{sectionPath}:HistoryRetention must be positive");
        if (HistoryCapacity < 1) errors.Add($"{sectionPath}:HistoryCapacity must be at least 1");
        if (StatePath is null) errors.Add($"{sectionPath}:StatePath must be a file path, or empty for no state file");
        if (StateSaveInterval < TimeSpan.FromSeconds(1)) errors.Add($"{sectionPath}:StateSaveInterval must be at least 1 s");
        ValidateSecurity(sectionPath, errors);
    }
}
