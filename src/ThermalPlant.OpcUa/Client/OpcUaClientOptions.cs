using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Transport;

namespace ThermalPlant.OpcUa.Client;

/// <summary>How an OPC UA client connects and how long it waits.</summary>
public sealed record OpcUaClientOptions
{
    /// <summary>The client's application URI.</summary>
    public string ApplicationUri { get; init; } = "urn:thermalplant:client";

    /// <summary>The client's name, shown by servers.</summary>
    public string ApplicationName { get; init; } = "Thermal Plant OPC UA Client";

    /// <summary>The security policy of the endpoint to select (see <see cref="SecurityPolicyUris"/>).</summary>
    public string SecurityPolicyUri { get; init; } = SecurityPolicyUris.None;

    /// <summary>The message security mode of the endpoint to select: None with policy None, Sign or SignAndEncrypt otherwise.</summary>
    public MessageSecurityMode SecurityMode { get; init; } = MessageSecurityMode.None;

    /// <summary>
    /// The application instance certificate with its private key. When null and a secured endpoint is selected, the
    /// newest valid one in <see cref="CertificateStorePath"/> is used, or a self-signed one is created there (or, with no
    /// store, for this client's lifetime only).
    /// </summary>
    public X509Certificate2? ApplicationCertificate { get; init; }

    /// <summary>The certificate store folder (own, trusted, issuers, rejected) server certificates are trusted by.</summary>
    public string? CertificateStorePath { get; init; }

    /// <summary>
    /// Accept server certificates that no trusted certificate vouches for (every other check still applies: a
    /// complete chain, the policy's key and hash, validity, key usage). For development only.
    /// </summary>
    public bool AutoAcceptUntrustedCertificates { get; init; }

    /// <summary>
    /// Whether the server certificate's subjectAltName must name the host of the endpoint URL connected to (a DNS name,
    /// case-insensitive, or an IP address), else the connection fails with BadCertificateHostNameInvalid. On by default;
    /// Part 4, 6.1.3 lets a client turn it off, e.g. to reach a server through an address its certificate does not carry.
    /// </summary>
    public bool CheckServerHostName { get; init; } = true;

    /// <summary>Who the session acts for; kept for every re-activation after a reconnection.</summary>
    public UserCredentials Credentials { get; init; } = UserCredentials.Anonymous;

    /// <summary>Limits offered in the Hello.</summary>
    public TransportLimits Transport { get; init; } = TransportLimits.Default;

    /// <summary>How long a request may wait for its response.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// One deadline over establishing a connection: TCP connect, Hello/Acknowledge, OpenSecureChannel, GetEndpoints,
    /// CreateSession and ActivateSession (each reconnection attempt gets it anew). A server that accepts the connection
    /// and never answers fails the attempt with BadTimeout naming the step, instead of holding it until the peer closes.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Lifetime asked for the secure channel's tokens; renewed at 75 %.</summary>
    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Session timeout asked for.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How often an idle session reads the server's state, so that a dead connection is noticed and the session
    /// does not time out; <see cref="TimeSpan.Zero"/> turns it off.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether a lost connection is re-established (new channel, session re-activated or re-created).</summary>
    public bool Reconnect { get; init; } = true;

    /// <summary>The first wait before reconnecting; it doubles after each failed attempt.</summary>
    public TimeSpan ReconnectMinDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Data changes a subscription buffers for its reader before publishing waits for it.</summary>
    public int SubscriptionBufferCapacity { get; init; } = 100_000;

    /// <summary>The longest wait between reconnection attempts.</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws an <see cref="ArgumentException"/> naming every timing option that is out of its range.</summary>
    public void Validate()
    {
        var errors = new List<string>();
        if (HandshakeTimeout <= TimeSpan.Zero || HandshakeTimeout > TimeSpan.FromMinutes(10)) errors.Add($"HandshakeTimeout must be more than 0 and at most 10 minutes, found {HandshakeTimeout}");
        if (RequestTimeout <= TimeSpan.Zero) errors.Add($"RequestTimeout must be positive, found {RequestTimeout}");
        if (ReconnectMinDelay <= TimeSpan.Zero || ReconnectMaxDelay < ReconnectMinDelay) errors.Add($"ReconnectMinDelay must be positive and at most ReconnectMaxDelay, found {ReconnectMinDelay} and {ReconnectMaxDelay}");
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors));
    }
}
