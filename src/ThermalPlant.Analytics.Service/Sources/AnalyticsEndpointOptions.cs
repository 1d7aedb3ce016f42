using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;

namespace ThermalPlant.Analytics.Service.Sources;

/// <summary>One OPC UA endpoint whose numeric variables are analysed (an item of <c>Analytics:Sources</c>).</summary>
public sealed class AnalyticsEndpointOptions
{
    /// <summary>The endpoint URL, e.g. <c>opc.tcp://opcserver:4840/freeopcua/server/</c>.</summary>
    public string Url { get; set; } = "";

    /// <summary>
    /// The browse path of the root, from the Root folder by browse names; every numeric variable below it is analysed.
    /// A tag's path starts with the root's own browse name (<c>Plant/Temperature/Upper</c> under <c>Objects/Plant</c>).
    /// </summary>
    public string Root { get; set; } = "Objects/Plant";

    /// <summary>Put in front of every tag path of this endpoint (e.g. <c>Site2</c>), so two endpoints with the same root name stay apart; empty for none.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>The user to log in as; anonymous when empty.</summary>
    public string? UserName { get; set; }

    /// <summary>The password of <see cref="UserName"/>; from the environment, never from a committed file.</summary>
    public string? Password { get; set; }

    /// <summary>The security policy: <c>None</c>, <c>Basic256Sha256</c>, <c>Aes128_Sha256_RsaOaep</c>, <c>Aes256_Sha256_RsaPss</c>.</summary>
    public string SecurityPolicy { get; set; } = "None";

    /// <summary>The message security mode: <c>None</c> with policy None, <c>Sign</c> or <c>SignAndEncrypt</c> otherwise.</summary>
    public MessageSecurityMode SecurityMode { get; set; } = MessageSecurityMode.None;

    /// <summary>The service's client certificate store for a secured endpoint (the server's certificate in trusted/certs).</summary>
    public string CertificateStorePath { get; set; } = "";

    /// <summary>Whether the server's certificate must name the host of <see cref="Url"/>.</summary>
    public bool CheckServerHostName { get; set; } = true;

    /// <summary>The subscription's publishing interval.</summary>
    public TimeSpan PublishingInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Values the server queues per item between publishes.</summary>
    public int QueueSize { get; set; } = 100;

    /// <summary>Time between browses for variables added or removed on the server.</summary>
    public TimeSpan BrowseInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The deepest level below the root that is browsed.</summary>
    public int MaxDepth { get; set; } = 16;

    /// <summary>The most variables analysed from this endpoint (each costs a detector's state, a few KB).</summary>
    public int MaxVariables { get; set; } = 20_000;

    /// <summary>How long one request may wait for its response.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The first wait before connecting again after a failure; it doubles up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between connection attempts.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Policy, mode, store and user as the OPC UA client validates and applies them.</summary>
    public ClientSecuritySettings Security() => new(SecurityPolicy, SecurityMode, CertificateStorePath, UserName, Password, CheckServerHostName);

    internal void Validate(string prefix, ICollection<string> errors)
    {
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme != "opc.tcp") errors.Add($"{prefix}:Url must be an opc.tcp:// URL, found '{Url}'");
        if (string.IsNullOrWhiteSpace(Root) || Root.Split('/', StringSplitOptions.RemoveEmptyEntries).Length == 0) errors.Add($"{prefix}:Root must be a browse path such as Objects/Plant");
        if (Prefix is null || Prefix.Contains('.', StringComparison.Ordinal) || Prefix.StartsWith('/') || Prefix.EndsWith('/')) errors.Add($"{prefix}:Prefix must be empty or a path without '.' that neither starts nor ends with '/'");
        if (PublishingInterval < TimeSpan.FromMilliseconds(10) || PublishingInterval > TimeSpan.FromHours(1)) errors.Add($"{prefix}:PublishingInterval must be between 10 ms and 1 hour");
        if (QueueSize is < 1 or > 100_000) errors.Add($"{prefix}:QueueSize must be between 1 and 100000");
        if (BrowseInterval < TimeSpan.FromSeconds(1)) errors.Add($"{prefix}:BrowseInterval must be at least 1 s");
        if (MaxDepth is < 1 or > 1000) errors.Add($"{prefix}:MaxDepth must be between 1 and 1000");
        if (MaxVariables is < 1 or > 1_000_000) errors.Add($"{prefix}:MaxVariables must be between 1 and 1000000");
        if (RequestTimeout <= TimeSpan.Zero) errors.Add($"{prefix}:RequestTimeout must be positive");
        if (ReconnectMinDelay <= TimeSpan.Zero) errors.Add($"{prefix}:ReconnectMinDelay must be positive");
        if (ReconnectMaxDelay < ReconnectMinDelay) errors.Add($"{prefix}:ReconnectMaxDelay must be at least ReconnectMinDelay");
        Security().Validate(prefix, errors);
    }
}
