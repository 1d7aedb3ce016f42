using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.Scraper.Sources.OpcUa;

/// <summary>How values arrive from an endpoint.</summary>
public enum CollectionMode
{
    /// <summary>Monitored items in a subscription: every change, with gaps detected and back-filled.</summary>
    Subscribe,

    /// <summary>Reads every <see cref="OpcUaEndpointOptions.PollInterval"/>: for servers whose subscriptions do not work.</summary>
    Poll,
}

/// <summary>One OPC UA endpoint collected by the scraper (an item of <c>Scraper:OpcUa:Endpoints</c>).</summary>
public sealed class OpcUaEndpointOptions
{
    /// <summary>The endpoint URL, e.g. <c>opc.tcp://opcserver:4840/freeopcua/server/</c>; stored as the tags' <c>clientid</c>.</summary>
    public string Url { get; set; } = "";

    /// <summary>The user to log in as (the password encrypted as the server's user token policy requires); anonymous when empty.</summary>
    public string? UserName { get; set; }

    /// <summary>The password of <see cref="UserName"/>; from the environment or secrets, never from a committed file.</summary>
    public string? Password { get; set; }

    /// <summary>The browse path of the root, from the Root folder by browse names, e.g. <c>Objects/Plant</c>.</summary>
    public string Root { get; set; } = "Objects/Plant";

    /// <summary>
    /// Nodes to collect instead of browsing (a PLC whose tree is not a plant tree, as the seed bridge's users list
    /// theirs); when set, <see cref="Root"/>, <see cref="Include"/> and the naming rule do not apply.
    /// </summary>
    public IList<OpcUaNodeOptions> Nodes { get; set; } = [];

    /// <summary>Names (or patterns with <c>*</c>) of the top-level objects under the root to collect; empty collects all.</summary>
    public IList<string> Include { get; set; } = [];

    /// <summary>Whether names are lower-cased (the seed's naming rule).</summary>
    public bool LowerCaseNames { get; set; } = true;

    /// <summary>Joins the path below the first level into the tag name.</summary>
    public string Separator { get; set; } = ".";

    /// <summary>Subscribe (default) or poll.</summary>
    public CollectionMode Mode { get; set; } = CollectionMode.Subscribe;

    /// <summary>The subscription's publishing interval.</summary>
    public TimeSpan PublishingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Each item's sampling interval; zero asks for every change.</summary>
    public TimeSpan SamplingInterval { get; set; } = TimeSpan.Zero;

    /// <summary>Values the server queues per item between publishes; a longer outage overflows it, which is back-filled.</summary>
    public int QueueSize { get; set; } = 100;

    /// <summary>Time between reads in polling mode.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Time between browses for nodes added or removed on the server.</summary>
    public TimeSpan BrowseInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The deepest level below the root that is browsed (guards against very deep trees).</summary>
    public int MaxDepth { get; set; } = 16;

    /// <summary>The most nodes one browse visits (guards against very wide trees).</summary>
    public int MaxNodes { get; set; } = 200_000;

    /// <summary>
    /// Whether numeric and boolean properties (HasProperty, e.g. a motor's <c>RatedPower</c>) are collected like
    /// variables; the standard metadata properties (EURange, EngineeringUnits, ValuePrecision, ...) never are.
    /// </summary>
    public bool CollectProperties { get; set; } = true;

    /// <summary>Whether the endpoint's OPC UA events and alarms are collected into the <c>events</c> table (where it has an event notifier).</summary>
    public bool Events { get; set; } = true;

    /// <summary>
    /// The NodeIds of the notifiers subscribed to for events; empty means the Server object (<c>i=2253</c>), which reports
    /// every event of the server. Those whose EventNotifier attribute lacks SubscribeToEvents are skipped.
    /// </summary>
    public IList<string> EventNotifiers { get; set; } = [];

    /// <summary>Events the server queues per notifier between publishes; a longer outage overflows it, which the event back-fill closes.</summary>
    public int EventQueueSize { get; set; } = 1000;

    /// <summary>
    /// How much earlier than the newest event received an event back-fill starts reading the server's event history:
    /// events' source times need not arrive in order, and what is read twice is stored once.
    /// </summary>
    public TimeSpan EventBackfillOverlap { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// After a restart, how far before the newest stored event Time the <c>events</c> table is searched for the newest
    /// ReceiveTime, from which the event back-fill asks the server for what it received since (a search bounded by the
    /// table's time index). An event stored later but stamped earlier than this only lowers the mark, so the back-fill
    /// reads more, never less; the history itself is read back to <see cref="BackfillMaxAge"/>. At most <see cref="BackfillMaxAge"/>.
    /// </summary>
    public TimeSpan EventBackfillLookback { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Whether gaps (lost connections, restarts of the server or the scraper) are filled from the server's history (values and events).</summary>
    public bool Backfill { get; set; } = true;

    /// <summary>A back-fill reads history in windows of this length, so a long gap never sits in memory at once.</summary>
    public TimeSpan BackfillWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The oldest a back-fill reaches (older values would fall to retention anyway).</summary>
    public TimeSpan BackfillMaxAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Values per node per HistoryRead request.</summary>
    public int HistoryValuesPerCall { get; set; } = 1000;

    /// <summary>
    /// Nodes per HistoryRead request when many variables are back-filled at once (within the server's own limit); a
    /// response holds up to this times <see cref="HistoryValuesPerCall"/> values, which must fit the message size.
    /// </summary>
    public int HistoryNodesPerCall { get; set; } = 100;

    /// <summary>How long the start of a session waits for the database to say what it holds, before collecting without a start-up back-fill.</summary>
    public TimeSpan StoredLookupTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one request may wait for its response.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// One deadline over connecting: TCP, Hello/Acknowledge, OpenSecureChannel, GetEndpoints, CreateSession and
    /// ActivateSession. A server that accepts and never answers fails the attempt (naming the step) when it passes.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The first wait before connecting again; it doubles up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between connection attempts.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The security policy of the endpoint to use: <c>None</c>, <c>Basic256Sha256</c>, <c>Aes128_Sha256_RsaOaep</c>, <c>Aes256_Sha256_RsaPss</c>.</summary>
    public string SecurityPolicy { get; set; } = "None";

    /// <summary>The message security mode: <c>None</c> with policy None, <c>Sign</c> or <c>SignAndEncrypt</c> otherwise.</summary>
    public MessageSecurityMode SecurityMode { get; set; } = MessageSecurityMode.None;

    /// <summary>
    /// The scraper's certificate store (own, trusted, rejected) for a secured endpoint: its certificate is created there,
    /// and the server's certificate must be in trusted/certs.
    /// </summary>
    public string CertificateStorePath { get; set; } = "";

    /// <summary>
    /// Whether the server's certificate must name the host of the endpoint URL (BadCertificateHostNameInvalid otherwise).
    /// Turn off only for a server whose certificate cannot carry the name it is reached by, such as a PLC's fixed one.
    /// </summary>
    public bool CheckServerHostName { get; set; } = true;

    /// <summary>Policy, mode, store and user as the OPC UA client validates and applies them.</summary>
    public ClientSecuritySettings Security() => new(SecurityPolicy, SecurityMode, CertificateStorePath, UserName, Password, CheckServerHostName);

    internal void Validate(string prefix, ICollection<string> errors)
    {
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme != "opc.tcp") errors.Add($"{prefix}:Url must be an opc.tcp:// URL, found '{Url}'");
        if (string.IsNullOrWhiteSpace(Root) || Root.Split('/', StringSplitOptions.RemoveEmptyEntries).Length == 0) errors.Add($"{prefix}:Root must be a browse path such as Objects/Plant");
        if (Include.Any(string.IsNullOrWhiteSpace)) errors.Add($"{prefix}:Include must not contain empty names");
        var listed = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Nodes.Count; i++)
        {
            Nodes[i].Validate($"{prefix}:Nodes:{i}", errors);
            if (!listed.Add(Nodes[i].NodeId)) errors.Add($"{prefix}:Nodes:{i}:NodeId '{Nodes[i].NodeId}' is listed twice");
        }
        if (Separator is null) errors.Add($"{prefix}:Separator must be set");
        if (!Enum.IsDefined(Mode)) errors.Add($"{prefix}:Mode must be Subscribe or Poll");
        if (PublishingInterval < TimeSpan.FromMilliseconds(10) || PublishingInterval > TimeSpan.FromHours(1)) errors.Add($"{prefix}:PublishingInterval must be between 10 ms and 1 hour");
        if (SamplingInterval < TimeSpan.Zero) errors.Add($"{prefix}:SamplingInterval must not be negative");
        if (QueueSize is < 1 or > 100_000) errors.Add($"{prefix}:QueueSize must be between 1 and 100000");
        if (PollInterval < TimeSpan.FromMilliseconds(10)) errors.Add($"{prefix}:PollInterval must be at least 10 ms");
        if (BrowseInterval < TimeSpan.FromSeconds(1)) errors.Add($"{prefix}:BrowseInterval must be at least 1 s");
        if (MaxDepth is < 1 or > 1000) errors.Add($"{prefix}:MaxDepth must be between 1 and 1000");
        if (MaxNodes is < 1 or > 10_000_000) errors.Add($"{prefix}:MaxNodes must be between 1 and 10000000");
        for (var i = 0; i < EventNotifiers.Count; i++)
        {
            if (!IsNodeId(EventNotifiers[i])) errors.Add($"{prefix}:EventNotifiers:{i} must be a NodeId such as i=2253 or ns=2;s=Plant, found '{EventNotifiers[i]}'");
        }
        if (EventQueueSize is < 1 or > 100_000) errors.Add($"{prefix}:EventQueueSize must be between 1 and 100000");
        if (EventBackfillOverlap < TimeSpan.Zero || EventBackfillOverlap > TimeSpan.FromHours(1)) errors.Add($"{prefix}:EventBackfillOverlap must be between 0 and 1 hour");
        if (EventBackfillLookback < EventBackfillOverlap || EventBackfillLookback > BackfillMaxAge) errors.Add($"{prefix}:EventBackfillLookback must be between EventBackfillOverlap and BackfillMaxAge");
        if (BackfillWindow < TimeSpan.FromSeconds(1)) errors.Add($"{prefix}:BackfillWindow must be at least 1 s");
        if (BackfillMaxAge < TimeSpan.FromMinutes(1)) errors.Add($"{prefix}:BackfillMaxAge must be at least 1 minute");
        if (HistoryValuesPerCall is < 1 or > 1_000_000) errors.Add($"{prefix}:HistoryValuesPerCall must be between 1 and 1000000");
        if (HistoryNodesPerCall is < 1 or > 10_000) errors.Add($"{prefix}:HistoryNodesPerCall must be between 1 and 10000");
        if (StoredLookupTimeout < TimeSpan.Zero) errors.Add($"{prefix}:StoredLookupTimeout must not be negative");
        if (RequestTimeout <= TimeSpan.Zero) errors.Add($"{prefix}:RequestTimeout must be positive");
        if (HandshakeTimeout <= TimeSpan.Zero || HandshakeTimeout > TimeSpan.FromMinutes(10)) errors.Add($"{prefix}:HandshakeTimeout must be more than 0 and at most 10 minutes");
        if (ReconnectMinDelay <= TimeSpan.Zero) errors.Add($"{prefix}:ReconnectMinDelay must be positive");
        if (ReconnectMaxDelay < ReconnectMinDelay) errors.Add($"{prefix}:ReconnectMaxDelay must be at least ReconnectMinDelay");
        Security().Validate(prefix, errors);
    }

    private static bool IsNodeId(string text)
    {
        try
        {
            return !NodeId.Parse(text).IsNull;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
