using ThermalPlant.Hosting;
using ThermalPlant.OpcUa.Server;

namespace ThermalPlant.OpcServer;

/// <summary>The OPC UA server service's settings (section <c>OpcServer</c>); the security keys are those of every server host.</summary>
public sealed class OpcServerOptions() : ServerSecuritySettings("data/pki"), IValidatableOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "OpcServer";

    /// <summary>Base URL of the DMZ in front of the sensors service.</summary>
    public Uri DmzUrl { get; set; } = new("http://127.0.0.1:8080/");

    /// <summary>OPC UA TCP port.</summary>
    public int Port { get; set; } = 4840;

    /// <summary>Address listened on (0.0.0.0 for every interface).</summary>
    public string ListenAddress { get; set; } = "0.0.0.0";

    /// <summary>Path of the endpoint URL, as the seed's server served it.</summary>
    public string EndpointPath { get; set; } = "/freeopcua/server/";

    /// <summary>Host name put into endpoint URLs when the client's cannot be used; empty for the machine's name.</summary>
    public string HostName { get; set; } = "";

    /// <summary>URI of the plant's namespace.</summary>
    public string NamespaceUri { get; set; } = "urn:thermalplant:plant";

    /// <summary>How often <c>/readings</c> is polled.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Poll intervals of sensor groups (the first path level, e.g. <c>Audio</c>) that differ from
    /// <see cref="PollInterval"/>; each group is polled by its own loop.
    /// </summary>
    public Dictionary<string, TimeSpan> GroupPollIntervals { get; set; } = [];

    /// <summary>
    /// Shortest publishing interval a subscription may ask for. A change waits up to one publishing interval on top of
    /// the poll, so an HMI that wants values within the poll interval asks for a short one; the server's cost is a
    /// publishing cycle per subscription, on one timer shared by all the subscriptions of that interval.
    /// </summary>
    public TimeSpan MinPublishingInterval { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>How often the catalog is read again to pick up added and removed sensors.</summary>
    public TimeSpan CatalogRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Timeout of one HTTP attempt to the DMZ.</summary>
    public TimeSpan HttpAttemptTimeout { get; set; } = TimeSpan.FromMilliseconds(400);

    /// <summary>Raw history kept per variable.</summary>
    public TimeSpan HistoryRetention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Most values kept per variable.</summary>
    public int HistoryCapacity { get; set; } = 36_000;

    /// <summary>File the history is kept in across restarts; empty keeps it in memory only.</summary>
    public string HistoryPath { get; set; } = "data/opcserver-history.bin";

    /// <summary>Events kept for HistoryRead of events (the time of the newest event kept minus this, at most).</summary>
    public TimeSpan EventHistoryRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Most events kept for HistoryRead of events; the oldest goes first.</summary>
    public int EventHistoryCapacity { get; set; } = 10_000;

    /// <summary>File the event history is kept in across restarts; empty keeps it in memory only.</summary>
    public string EventHistoryPath { get; set; } = "data/opcserver-events.bin";

    /// <summary>The OPC UA server's resource limits (connections, handshake deadlines, operations per request, history pages); docs/opcua-limits.md lists them.</summary>
    public ServerLimitsSettings Limits { get; set; } = new();

    /// <summary>The plant's alarms: Bad readings, limits per tag or group (docs/opcua-alarms.md).</summary>
    public Plant.PlantAlarmSettings Alarms { get; set; } = new();

    /// <inheritdoc />
    public void Validate(string sectionPath, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (!DmzUrl.IsAbsoluteUri || DmzUrl.Scheme is not ("http" or "https")) errors.Add($"{sectionPath}:DmzUrl must be an absolute http(s) URL");
        if (Port is < 0 or > 65535) errors.Add($"{sectionPath}:Port must be 0-65535");
        if (!System.Net.IPAddress.TryParse(ListenAddress, out _)) errors.Add($"{sectionPath}:ListenAddress must be an IP address");
        if (!EndpointPath.StartsWith('/')) errors.Add($"{sectionPath}:EndpointPath must start with '/'");
        if (string.IsNullOrWhiteSpace(NamespaceUri)) errors.Add($"{sectionPath}:NamespaceUri must be set");
        if (PollInterval < TimeSpan.FromMilliseconds(20)) errors.Add($"{sectionPath}:PollInterval must be at least 20 ms");
        foreach (var (group, interval) in GroupPollIntervals)
        {
            if (interval < TimeSpan.FromMilliseconds(20)) errors.Add($"{sectionPath}:GroupPollIntervals:{group} must be at least 20 ms");
        }
        if (MinPublishingInterval < TimeSpan.FromMilliseconds(5) || MinPublishingInterval > TimeSpan.FromSeconds(10)) errors.Add($"{sectionPath}:MinPublishingInterval must be 5 ms to 10 s");
        if (CatalogRefreshInterval < TimeSpan.FromSeconds(1)) errors.Add($"{sectionPath}:CatalogRefreshInterval must be at least 1 s");
        if (HttpAttemptTimeout <= TimeSpan.Zero) errors.Add($"{sectionPath}:HttpAttemptTimeout must be positive");
        if (HistoryRetention <= TimeSpan.Zero) errors.Add($"{sectionPath}:HistoryRetention must be positive");
        if (HistoryCapacity < 1) errors.Add($"{sectionPath}:HistoryCapacity must be at least 1");
        if (EventHistoryRetention <= TimeSpan.Zero) errors.Add($"{sectionPath}:EventHistoryRetention must be positive");
        if (EventHistoryCapacity is < 1 or > 10_000_000) errors.Add($"{sectionPath}:EventHistoryCapacity must be 1 to 10,000,000");
        Limits.Validate($"{sectionPath}:Limits", errors);
        Alarms.Validate($"{sectionPath}:Alarms", errors);
        ValidateSecurity(sectionPath, errors);
    }
}
