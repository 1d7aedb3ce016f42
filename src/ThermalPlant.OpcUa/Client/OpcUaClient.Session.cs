using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Client;

// Establishment: discovery, endpoint selection, the secured channel that replaces the discovery one, and the
// session (CreateSession, ActivateSession, the signatures that bind them to the channel's certificates).
public sealed partial class OpcUaClient
{
    private const string UaTcpTransportProfile = "http://opcfoundation.org/UA-Profile/Transport/uatcp-uasc-uabinary";
    private string? _sessionName;
    private NodeId _authenticationToken = NodeId.Null;
    private byte[]? _serverCertificate;
    private ChannelCredentials? _credentials;
    private byte[] _serverNonce = [];

    /// <summary>The endpoint chosen among those the server offers (the options' policy and mode over UA TCP).</summary>
    public EndpointDescription Endpoint { get; private set; } = new();

    /// <summary>The session's id once a session exists; it changes when a reconnection had to create a new session.</summary>
    public NodeId? SessionId { get; private set; }

    /// <summary>
    /// Connects to <paramref name="endpointUrl"/>: Hello and Acknowledge, OpenSecureChannel with policy None, then
    /// GetEndpoints to select an endpoint with the options' policy and mode over UA TCP (BadSecurityPolicyRejected when
    /// there is none). A secured endpoint's certificate is validated, and a secure channel replaces the discovery one.
    /// With <paramref name="sessionName"/>, a session is created and activated too. Every step runs within one
    /// <see cref="OpcUaClientOptions.HandshakeTimeout"/>; a step it cuts short is a BadTimeout naming the step.
    /// </summary>
    public static async Task<OpcUaClient> ConnectAsync(string endpointUrl, OpcUaClientOptions? options = null, TimeProvider? time = null, string? sessionName = null, CancellationToken cancellationToken = default)
    {
        options ??= new OpcUaClientOptions();
        options.Validate();
        time ??= TimeProvider.System;
        using var deadline = new HandshakeDeadline(endpointUrl, options.HandshakeTimeout, time, cancellationToken);
        var channel = await ClientChannel.OpenAsync(endpointUrl, options, null, time, deadline);
        var client = new OpcUaClient(endpointUrl, options, time, channel);
        try
        {
            var endpoints = await deadline.RunAsync("GetEndpoints", client.GetEndpointsAsync);
            client.Endpoint = SelectEndpoint(endpointUrl, endpoints, options);
            if (client.Endpoint.SecurityMode != MessageSecurityMode.None) await client.SecureAsync(deadline);
            if (sessionName is not null) await client.OpenSessionAsync(sessionName, deadline);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The endpoints of the server at <paramref name="endpointUrl"/>, asked over a channel with SecurityPolicy None,
    /// which every server accepts for discovery whether or not it offers a None endpoint (Part 4, 5.4.4; Part 6, 6.7.1);
    /// nothing is selected, so this works for any security the server offers. Within the options' HandshakeTimeout.
    /// </summary>
    public static async Task<EndpointDescription[]> GetEndpointsAsync(string endpointUrl, OpcUaClientOptions? options = null, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        await using var client = await DiscoverAsync(endpointUrl, options, time, cancellationToken);
        return await client.DiscoveryStepAsync("GetEndpoints", client.GetEndpointsAsync, cancellationToken);
    }

    /// <summary>The servers the server at <paramref name="endpointUrl"/> knows (itself at least), over a None channel as <see cref="GetEndpointsAsync(string, OpcUaClientOptions?, TimeProvider?, CancellationToken)"/>.</summary>
    public static async Task<ApplicationDescription[]> FindServersAsync(string endpointUrl, OpcUaClientOptions? options = null, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        await using var client = await DiscoverAsync(endpointUrl, options, time, cancellationToken);
        return await client.DiscoveryStepAsync("FindServers", async token =>
            (await client.CallAsync<FindServersResponse>(new FindServersRequest { EndpointUrl = endpointUrl }, token)).Servers ?? [], cancellationToken);
    }

    /// <summary>The server's endpoints.</summary>
    public async Task<EndpointDescription[]> GetEndpointsAsync(CancellationToken cancellationToken = default) =>
        (await CallAsync<GetEndpointsResponse>(new GetEndpointsRequest { EndpointUrl = EndpointUrl }, cancellationToken)).Endpoints ?? [];

    /// <summary>
    /// Creates and activates a session for the configured credentials, and starts its keep-alive; CreateSession and
    /// ActivateSession run within one <see cref="OpcUaClientOptions.HandshakeTimeout"/>.
    /// </summary>
    public async Task OpenSessionAsync(string sessionName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessionName);
        using var deadline = new HandshakeDeadline(EndpointUrl, _options.HandshakeTimeout, _time, cancellationToken);
        await OpenSessionAsync(sessionName, deadline);
    }

    private async Task OpenSessionAsync(string sessionName, HandshakeDeadline deadline)
    {
        var channel = await CurrentChannelAsync(deadline.Token);
        await CreateSessionAsync(channel, sessionName, deadline);
        _sessionName = sessionName;
        if (_options.KeepAliveInterval > TimeSpan.Zero && _keepAliveLoop is null) _keepAliveLoop = KeepAliveAsync(_disposed.Token);
    }

    /// <summary>A client on a None channel that selects no endpoint, for the discovery services only.</summary>
    private static async Task<OpcUaClient> DiscoverAsync(string endpointUrl, OpcUaClientOptions? options, TimeProvider? time, CancellationToken cancellationToken)
    {
        options ??= new OpcUaClientOptions();
        options.Validate();
        time ??= TimeProvider.System;
        // A discovery client never reconnects: one question, one answer.
        options = options with { Reconnect = false, KeepAliveInterval = TimeSpan.Zero };
        using var deadline = new HandshakeDeadline(endpointUrl, options.HandshakeTimeout, time, cancellationToken);
        var channel = await ClientChannel.OpenAsync(endpointUrl, options, null, time, deadline);
        return new OpcUaClient(endpointUrl, options, time, channel);
    }

    private async Task<T> DiscoveryStepAsync<T>(string step, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        using var deadline = new HandshakeDeadline(EndpointUrl, _options.HandshakeTimeout, _time, cancellationToken);
        var result = await deadline.RunAsync(step, call);
        await _channel.CloseAsync(deadline.Token);
        return result;
    }

    private static EndpointDescription SelectEndpoint(string endpointUrl, EndpointDescription[] endpoints, OpcUaClientOptions options)
    {
        EndpointDescription? chosen = null;
        foreach (var endpoint in endpoints)
        {
            if (endpoint.SecurityMode != options.SecurityMode || endpoint.SecurityPolicyUri != options.SecurityPolicyUri) continue;
            if (endpoint.TransportProfileUri is { Length: > 0 } profile && profile != UaTcpTransportProfile) continue;
            // Prefer the endpoint the caller named; servers behind NAT or in containers often report another host.
            if (chosen is null || string.Equals(endpoint.EndpointUrl, endpointUrl, StringComparison.OrdinalIgnoreCase)) chosen = endpoint;
        }
        return chosen ?? throw new OpcUaException(StatusCodes.BadSecurityPolicyRejected, $"{endpointUrl} offers no endpoint with {options.SecurityPolicyUri} and {options.SecurityMode} over UA TCP ({endpoints.Length} endpoints offered)");
    }

    /// <summary>Validates the selected endpoint's certificate, then replaces the discovery channel by a secured one.</summary>
    private async Task SecureAsync(HandshakeDeadline deadline)
    {
        var policy = SecurityPolicies.Find(Endpoint.SecurityPolicyUri);
        var serverCertificate = ServerCertificate(Endpoint);
        _credentials = new ChannelCredentials(policy, Endpoint.SecurityMode, ClientCertificates.Resolve(_options, _time), serverCertificate);
        var secured = await ClientChannel.OpenAsync(EndpointUrl, _options, _credentials, _time, deadline);
        var discovery = _channel;
        discovery.Lost -= OnChannelLost;
        secured.Lost += OnChannelLost;
        _channel = secured;
        await discovery.CloseAsync(deadline.Token);
    }

    /// <summary>
    /// The endpoint's certificate, validated against our store (or accepted untrusted as the options allow) for the
    /// endpoint's policy, naming the host we connected to (unless the options turn that off) and the server's URI.
    /// </summary>
    private X509Certificate2 ServerCertificate(EndpointDescription endpoint)
    {
        var certificate = ApplicationCertificates.FromByteString(endpoint.ServerCertificate);
        var store = _options.CertificateStorePath is { Length: > 0 } path ? new CertificateStore(path) : null;
        new CertificateValidator(store, _time, _options.AutoAcceptUntrustedCertificates)
            .Validate(certificate, SecurityPolicies.Find(endpoint.SecurityPolicyUri), ApplicationType.Server);
        // Part 4, 6.1.3: the host of the URL we used, not the endpoint's own URL, which a server behind NAT may not know.
        if (_options.CheckServerHostName) CertificateValidator.CheckHostName(certificate, new Uri(EndpointUrl).DnsSafeHost);
        CertificateValidator.CheckApplicationUri(certificate, endpoint.Server.ApplicationUri);
        return certificate;
    }

    private async Task CreateSessionAsync(ClientChannel channel, string sessionName, HandshakeDeadline deadline)
    {
        var clientNonce = RandomNumberGenerator.GetBytes(32);
        var created = await deadline.RunAsync("CreateSession", token => CallOnAsync<CreateSessionResponse>(channel, new CreateSessionRequest
        {
            ClientDescription = new ApplicationDescription { ApplicationUri = _options.ApplicationUri, ApplicationName = new LocalizedText(null, _options.ApplicationName), ApplicationType = ApplicationType.Client },
            EndpointUrl = EndpointUrl,
            SessionName = sessionName,
            ClientNonce = clientNonce,
            ClientCertificate = _credentials?.ClientCertificate.RawData,
            RequestedSessionTimeout = _options.SessionTimeout.TotalMilliseconds,
            MaxResponseMessageSize = _options.Transport.MaxMessageSize,
        }, NodeId.Null, null, token));
        if (_credentials is { } credentials) CheckServerSignature(credentials, created, clientNonce);
        _serverNonce = created.ServerNonce ?? [];
        _serverCertificate = created.ServerCertificate is { Length: > 0 } certificate ? certificate : Endpoint.ServerCertificate;
        await deadline.RunAsync("ActivateSession", token => ActivateSessionAsync(channel, created.AuthenticationToken, created.ServerEndpoints, token));
        _authenticationToken = created.AuthenticationToken;
        SessionId = created.SessionId;
    }

    // The token is bound to the nonce of the server's last answer, so each (re-)activation builds it anew.
    private async Task ActivateSessionAsync(ClientChannel channel, NodeId authenticationToken, EndpointDescription[]? serverEndpoints, CancellationToken cancellationToken)
    {
        var (token, signature) = IdentityTokens.Create(_options.Credentials, Endpoint, serverEndpoints, _serverCertificate, _serverNonce);
        var activated = await CallOnAsync<ActivateSessionResponse>(channel, new ActivateSessionRequest
        {
            ClientSignature = ClientSignature(),
            UserIdentityToken = token,
            UserTokenSignature = signature,
        }, authenticationToken, null, cancellationToken);
        if (activated.ServerNonce is { Length: > 0 } nonce) _serverNonce = nonce;
    }

    /// <summary>On a secured channel we prove our identity by signing the server's certificate and last nonce (Part 4, 5.6.3).</summary>
    private SignatureData ClientSignature()
    {
        if (_credentials is not { } credentials) return new SignatureData();
        using var key = credentials.ClientCertificate.GetRSAPrivateKey()!;
        return new SignatureData
        {
            Algorithm = credentials.Policy.AsymmetricSignatureAlgorithm,
            Signature = credentials.Policy.Sign(key, [.. credentials.ServerCertificate.RawData, .. _serverNonce]),
        };
    }

    /// <summary>The server proves it holds its certificate's key by signing our certificate and nonce (Part 4, 5.6.2).</summary>
    private static void CheckServerSignature(ChannelCredentials credentials, CreateSessionResponse created, byte[] clientNonce)
    {
        using var key = credentials.ServerCertificate.GetRSAPublicKey()!;
        var signature = created.ServerSignature;
        var valid = signature?.Signature is { Length: > 0 } bytes
            && credentials.Policy.Verify(key, [.. credentials.ClientCertificate.RawData, .. clientNonce], bytes);
        if (!valid) throw new OpcUaException(StatusCodes.BadApplicationSignatureInvalid, "the server's signature over our certificate and nonce is wrong");
    }
}
