using ThermalPlant.Analytics.Diagnosis;
using ThermalPlant.Analytics.Scalar;
using ThermalPlant.Analytics.Service.Engine;
using ThermalPlant.Analytics.Service.Sources;
using ThermalPlant.Hosting;
using ThermalPlant.OpcUa.Server;

namespace ThermalPlant.Analytics.Service;

/// <summary>The analytics service's settings (section <c>Analytics</c>); the security keys of its OPC UA endpoint are those of every server host.</summary>
public sealed class AnalyticsOptions() : ServerSecuritySettings("data/pki"), IValidatableOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Analytics";

    /// <summary>The results endpoint's application URI (namespace 1); the results are in <see cref="NamespaceUri"/>, namespace 2.</summary>
    public const string ApplicationUri = "urn:thermalplant:analytics:server";

    /// <summary>Where samples come from: the OPC UA endpoints of <see cref="Sources"/> (the default), or the NATS stream of <see cref="Nats"/>.</summary>
    public AnalyticsSourceKind Source { get; set; } = AnalyticsSourceKind.OpcUa;

    /// <summary>The endpoints whose numeric variables are analysed (the plant's OPC UA server in appsettings.json), with <see cref="Source"/> OpcUa.</summary>
    public IList<AnalyticsEndpointOptions> Sources { get; set; } = [];

    /// <summary>The JetStream stream and sites analysed with <see cref="Source"/> Nats (section <c>Analytics:Nats</c>).</summary>
    public AnalyticsNatsOptions Nats { get; set; } = new();

    /// <summary>The scalar detector every tag gets, by name (<c>default</c>, the ensemble; see <see cref="ScalarDetectors.All"/>).</summary>
    public string DetectorName { get; set; } = ScalarDetectors.DefaultName;

    /// <summary>The scalar detector's settings (learning samples, windows, alarm threshold); the defaults need no tuning per tag.</summary>
    public ScalarDetectorOptions Detector { get; set; } = new();

    /// <summary>What the diagnosers know of the machine (spectrum layout, bearing fault orders, thresholds, learning times).</summary>
    public PlantDiagnosisOptions Diagnosis { get; set; } = new();

    /// <summary>Which tags are the plant's signals for the diagnosers.</summary>
    public PlantSignalOptions Plant { get; set; } = new();

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

    /// <summary>
    /// The file the served history is kept in across restarts (the plant server's history file format, flushed every
    /// second, compacted to what retention keeps); empty keeps history in memory only, so a restart loses it.
    /// </summary>
    public string HistoryPath { get; set; } = "data/analytics-history.bin";

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
        if (!Enum.IsDefined(Source)) errors.Add($"{sectionPath}:Source must be OpcUa or Nats");
        if (Source == AnalyticsSourceKind.Nats)
        {
            // The OPC UA endpoints are not read then; only the stream's settings matter.
            Nats.Validate($"{sectionPath}:Nats", errors);
        }
        else
        {
            if (Sources.Count == 0) errors.Add($"{sectionPath}:Sources must list at least one endpoint to analyse");
            var urls = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < Sources.Count; i++)
            {
                var key = $"{sectionPath}:Sources:{i}";
                Sources[i].Validate(key, errors);
                if (!urls.Add($"{Sources[i].Url} {Sources[i].Root}")) errors.Add($"{key}: {Sources[i].Url} with Root {Sources[i].Root} is configured twice");
            }
        }
        if (!ScalarDetectors.All.Any(d => string.Equals(d.Name, DetectorName, StringComparison.OrdinalIgnoreCase)))
        {
            errors.Add($"{sectionPath}:DetectorName must be one of {string.Join(", ", ScalarDetectors.All.Select(d => d.Name))}, found '{DetectorName}'");
        }
        try
        {
            Detector.Validate();
        }
        catch (ArgumentException ex)
        {
            // The runtime's message names the setting and its range on its first line.
            errors.Add($"{sectionPath}:Detector:{ex.ParamName} is out of range: {ex.Message.Split('\n')[0].Trim()}");
        }
        Diagnosis.Validate($"{sectionPath}:Diagnosis:", errors);
        Plant.Validate($"{sectionPath}:Plant", errors);
        if (Port is < 0 or > 65535) errors.Add($"{sectionPath}:Port must be 0-65535");
        if (!System.Net.IPAddress.TryParse(ListenAddress, out _)) errors.Add($"{sectionPath}:ListenAddress must be an IP address");
        if (EndpointPath is null || !EndpointPath.StartsWith('/')) errors.Add($"{sectionPath}:EndpointPath must start with '/'");
        if (string.IsNullOrWhiteSpace(NamespaceUri) || NamespaceUri == ApplicationUri) errors.Add($"{sectionPath}:NamespaceUri must be set, and differ from the server's application URI {ApplicationUri}");
        if (MinPublishingInterval < TimeSpan.FromMilliseconds(5) || MinPublishingInterval > TimeSpan.FromSeconds(10)) errors.Add($"{sectionPath}:MinPublishingInterval must be 5 ms to 10 s");
        if (HistoryRetention <= TimeSpan.Zero) errors.Add($"{sectionPath}:HistoryRetention must be positive");
        if (HistoryCapacity < 1) errors.Add($"{sectionPath}:HistoryCapacity must be at least 1");
        if (HistoryPath is null) errors.Add($"{sectionPath}:HistoryPath must be a file path, or empty for history in memory only");
        if (StatePath is null) errors.Add($"{sectionPath}:StatePath must be a file path, or empty for no state file");
        if (StateSaveInterval < TimeSpan.FromSeconds(1)) errors.Add($"{sectionPath}:StateSaveInterval must be at least 1 s");
        ValidateSecurity(sectionPath, errors);
    }
}
