using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Messages;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Users;

/// <summary>A session created by hand on a raw channel, with the nonce of the server's last answer.</summary>
internal sealed class RawSession(NodeId authenticationToken, EndpointDescription[] endpoints, byte[] nonce)
{
    public NodeId AuthenticationToken { get; } = authenticationToken;

    public EndpointDescription[] Endpoints { get; } = endpoints;

    public byte[] Nonce { get; set; } = nonce;
}

/// <summary>
/// One raw secure channel, secured with <c>certificate</c> (Basic256Sha256, SignAndEncrypt) or with SecurityPolicy
/// None when it is null, that creates and activates sessions by hand, so tests can move a session between channels.
/// </summary>
internal sealed class RawSessionClient : IAsyncDisposable
{
    private static readonly SecurityPolicy Policy = SecurityPolicies.Find(SecurityPolicyUris.Basic256Sha256);
    private readonly ClientChannel _channel;
    private readonly X509Certificate2? _certificate;
    private readonly X509Certificate2 _serverCertificate;

    private RawSessionClient(ClientChannel channel, X509Certificate2? certificate, X509Certificate2 serverCertificate)
    {
        _channel = channel;
        _certificate = certificate;
        _serverCertificate = serverCertificate;
    }

    public static async Task<RawSessionClient> OpenAsync(string url, X509Certificate2 serverCertificate, X509Certificate2? certificate, MessageSecurityMode mode = MessageSecurityMode.SignAndEncrypt)
    {
        var credentials = certificate is null ? null : new ChannelCredentials(Policy, mode, certificate, serverCertificate);
        var channel = await ClientChannel.OpenAsync(url, new OpcUaClientOptions(), credentials, TimeProvider.System, CancellationToken.None);
        return new RawSessionClient(channel, certificate, serverCertificate);
    }

    public async Task<RawSession> CreateSessionAsync()
    {
        var request = new CreateSessionRequest
        {
            SessionName = "raw",
            RequestedSessionTimeout = 60_000,
            ClientNonce = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32),
            ClientCertificate = _certificate?.RawData,
            ClientDescription = new ApplicationDescription { ApplicationUri = _certificate is null ? null : ApplicationUri(_certificate), ApplicationType = ApplicationType.Client },
        };
        var created = Assert.IsType<CreateSessionResponse>(await SendAsync(request, NodeId.Null));
        return new RawSession(created.AuthenticationToken, created.ServerEndpoints!, created.ServerNonce!);
    }

    /// <summary>Activates <paramref name="session"/> on this channel for <paramref name="credentials"/>; the status code (0 when good).</summary>
    public async Task<uint> ActivateAsync(RawSession session, UserCredentials credentials)
    {
        var (token, signature) = IdentityTokens.Create(credentials, session.Endpoints[0], session.Endpoints, _serverCertificate.RawData, session.Nonce);
        var request = new ActivateSessionRequest { ClientSignature = ClientSignature(session.Nonce), UserIdentityToken = token, UserTokenSignature = signature };
        var response = await SendAsync(request, session.AuthenticationToken);
        if (response is not ActivateSessionResponse activated) return Assert.IsType<ServiceFault>(response).ResponseHeader.ServiceResult.Code;
        session.Nonce = activated.ServerNonce!;
        return 0;
    }

    /// <summary>Writes <paramref name="value"/> to <paramref name="node"/> in <paramref name="session"/>: the service's status, else the operation's.</summary>
    public async Task<uint> WriteAsync(RawSession session, NodeId node, Variant value)
    {
        var request = new WriteRequest { NodesToWrite = [new WriteValue { NodeId = node, AttributeId = (uint)AttributeId.Value, Value = new DataValue { Value = value } }] };
        var response = await SendAsync(request, session.AuthenticationToken);
        return response is WriteResponse written ? written.Results![0].Code : Assert.IsType<ServiceFault>(response).ResponseHeader.ServiceResult.Code;
    }

    /// <summary>Sends <paramref name="request"/> in <paramref name="session"/>: the response or the ServiceFault.</summary>
    public Task<IEncodeable> SendAsync(IServiceRequest request, RawSession session) => SendAsync(request, session.AuthenticationToken);

    public async ValueTask DisposeAsync() => await _channel.DisposeAsync();

    private SignatureData ClientSignature(byte[] nonce)
    {
        if (_certificate is null) return new SignatureData();
        using var key = _certificate.GetRSAPrivateKey()!;
        return new SignatureData { Algorithm = Policy.AsymmetricSignatureAlgorithm, Signature = Policy.Sign(key, [.. _serverCertificate.RawData, .. nonce]) };
    }

    private static string ApplicationUri(X509Certificate2 certificate) =>
        ApplicationCertificates.Uris(certificate).Single();

    private async Task<IEncodeable> SendAsync(IServiceRequest request, NodeId authenticationToken)
    {
        request.RequestHeader = new RequestHeader { AuthenticationToken = authenticationToken, TimeoutHint = 10_000 };
        return await _channel.SendRequestAsync(request, CancellationToken.None);
    }
}
