using System.Text.Json.Serialization;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;

namespace ThermalPlant.Control.Sources;

/// <summary>The OPC UA node a control link reads (bindable from configuration).</summary>
public sealed class OpcUaSourceOptions
{
    /// <summary>Endpoint URL of the server, e.g. <c>opc.tcp://methanation:4840/</c>.</summary>
    public string EndpointUrl { get; set; } = "";

    /// <summary>NodeId of the variable in its text form, e.g. <c>ns=2;s=Methanation.H2FlowRequest</c>.</summary>
    public string NodeId { get; set; } = "";

    /// <summary>The user to log in as (the password encrypted as the server's user token policy requires); anonymous when empty.</summary>
    public string? UserName { get; set; }

    /// <summary>The password of <see cref="UserName"/>; from the environment or secrets, never from a committed file.</summary>
    [JsonIgnore] // so that configuration written out (import-pycomint) never carries it
    public string? Password { get; set; }

    /// <summary>The security policy of the endpoint to use: <c>None</c>, <c>Basic256Sha256</c>, <c>Aes128_Sha256_RsaOaep</c>, <c>Aes256_Sha256_RsaPss</c>.</summary>
    public string SecurityPolicy { get; set; } = "None";

    /// <summary>The message security mode: <c>None</c> with policy None, <c>Sign</c> or <c>SignAndEncrypt</c> otherwise.</summary>
    public MessageSecurityMode SecurityMode { get; set; } = MessageSecurityMode.None;

    /// <summary>
    /// The control link's certificate store (own, trusted, rejected) for a secured endpoint: its certificate is created
    /// there, and the server's certificate must be in trusted/certs.
    /// </summary>
    public string CertificateStorePath { get; set; } = "";

    /// <summary>
    /// How long one read may take before the source counts as unreachable; connecting (channel and session) has the
    /// same deadline of its own, so a server that accepts and never answers fails naming the step that stalled.
    /// </summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The first wait before connecting again after a failed connection; it doubles up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between connection attempts.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whether the server's certificate must name the host of the endpoint URL (BadCertificateHostNameInvalid otherwise).
    /// Turn off only for a server whose certificate cannot carry the name it is reached by, such as a PLC's fixed one.
    /// </summary>
    public bool CheckServerHostName { get; set; } = true;

    /// <summary>Policy, mode, store and user as the OPC UA client validates and applies them.</summary>
    public ClientSecuritySettings Security() => new(SecurityPolicy, SecurityMode, CertificateStorePath, UserName, Password, CheckServerHostName);

    /// <summary>Adds one message per invalid setting, each starting with the full key under <paramref name="prefix"/>.</summary>
    public void Validate(string prefix, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (!Uri.TryCreate(EndpointUrl, UriKind.Absolute, out var uri) || uri.Scheme != "opc.tcp")
        {
            errors.Add($"{prefix}:EndpointUrl must be an opc.tcp:// URL, found '{EndpointUrl}'");
        }
        try
        {
            OpcUa.Types.NodeId.Parse(NodeId);
        }
        catch (FormatException)
        {
            errors.Add($"{prefix}:NodeId '{NodeId}' is not a NodeId (e.g. ns=2;s=Methanation.H2FlowRequest)");
        }
        Security().Validate(prefix, errors);
        if (ReadTimeout <= TimeSpan.Zero || ReadTimeout > TimeSpan.FromMinutes(1)) errors.Add($"{prefix}:ReadTimeout must be between 0 and 1 minute");
        if (ReconnectDelay <= TimeSpan.Zero) errors.Add($"{prefix}:ReconnectDelay must be positive");
        if (MaxReconnectDelay < ReconnectDelay) errors.Add($"{prefix}:MaxReconnectDelay must be at least ReconnectDelay");
    }
}
