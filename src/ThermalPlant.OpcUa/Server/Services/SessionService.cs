using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.SecureChannel;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.OpcUa.Server.Sessions;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Services;

/// <summary>
/// CreateSession, ActivateSession and CloseSession (Part 4, 5.6), anonymous identities only for now. On a secured
/// channel the server proves its identity by signing the client's certificate and nonce, and the client by signing the
/// server's certificate and last nonce.
/// </summary>
internal sealed class SessionService(SessionManager sessions, DiscoveryService discovery, OpcUaServerOptions options, ServerSecurity security, SubscriptionService subscriptions)
{
    private const int SessionNonceLength = 32;

    public CreateSessionResponse Create(CreateSessionRequest request, ServerSecureChannel channel)
    {
        if (!security.Offers(channel.Policy, channel.Mode))
        {
            throw new OpcUaException(StatusCodes.BadSecurityPolicyRejected, $"no endpoint offers {channel.Policy.Uri} with {channel.Mode}; this channel is for discovery only");
        }
        var signature = new SignatureData();
        if (!channel.Policy.IsNone)
        {
            if (request.ClientNonce is not { Length: >= SessionNonceLength }) throw new OpcUaException(StatusCodes.BadNonceInvalid, $"the client nonce must have at least {SessionNonceLength} bytes");
            var client = channel.ClientCertificate!;
            using var named = ApplicationCertificates.FromByteString(request.ClientCertificate);
            if (!named.RawDataMemory.Span.SequenceEqual(client.RawDataMemory.Span))
            {
                throw new OpcUaException(StatusCodes.BadCertificateInvalid, "the session's client certificate is not the secure channel's");
            }
            CertificateValidator.CheckApplicationUri(client, request.ClientDescription.ApplicationUri);
            using var key = security.PrivateKey();
            signature = new SignatureData
            {
                Algorithm = channel.Policy.AsymmetricSignatureAlgorithm,
                Signature = channel.Policy.Sign(key, [.. request.ClientCertificate!, .. request.ClientNonce]),
            };
        }
        var session = sessions.Create(request.SessionName, channel.ChannelId, request.RequestedSessionTimeout);
        session.ServerNonce = RandomNumberGenerator.GetBytes(SessionNonceLength);
        return new CreateSessionResponse
        {
            SessionId = session.SessionId,
            AuthenticationToken = session.AuthenticationToken,
            RevisedSessionTimeout = session.Timeout.TotalMilliseconds,
            ServerNonce = session.ServerNonce,
            ServerCertificate = security.Certificate?.RawData,
            ServerEndpoints = discovery.Endpoints(request.EndpointUrl),
            ServerSignature = signature,
            MaxRequestMessageSize = options.Transport.MaxMessageSize,
        };
    }

    public ActivateSessionResponse Activate(ActivateSessionRequest request, ServerSecureChannel channel)
    {
        var channelId = channel.ChannelId;
        CheckClientSignature(request, channel);
        var token = request.UserIdentityToken;
        var anonymous = token.Encoding == ExtensionObjectEncoding.None
            || (token.TypeId.NamespaceIndex == 0 && token.TypeId.Numeric == AnonymousIdentityToken.BinaryEncodingId);
        if (!anonymous)
        {
            throw new OpcUaException(StatusCodes.BadIdentityTokenRejected, "only anonymous users are accepted on this endpoint");
        }
        if (token.Encoding == ExtensionObjectEncoding.Binary)
        {
            var decoder = new BinaryDecoder(token.Body.Span);
            var policy = AnonymousIdentityToken.Decode(ref decoder).PolicyId;
            if (policy is { Length: > 0 } && policy != DiscoveryService.AnonymousPolicyId)
            {
                throw new OpcUaException(StatusCodes.BadIdentityTokenInvalid, $"unknown user token policy '{policy}'");
            }
        }
        var session = sessions.Activate(request.RequestHeader.AuthenticationToken, channelId);
        session.ServerNonce = RandomNumberGenerator.GetBytes(SessionNonceLength);
        return new ActivateSessionResponse { ServerNonce = session.ServerNonce, Results = [], DiagnosticInfos = [] };
    }

    /// <summary>On a secured channel the client signs our certificate and last nonce with its key (Part 4, 5.6.3).</summary>
    private void CheckClientSignature(ActivateSessionRequest request, ServerSecureChannel channel)
    {
        if (channel.Policy.IsNone) return;
        var session = sessions.Find(request.RequestHeader.AuthenticationToken);
        var signature = request.ClientSignature;
        using var key = channel.ClientCertificate!.GetRSAPublicKey()!;
        // The algorithm URI is not compared: stacks name RSA-PSS differently, and the signature check decides anyway.
        var valid = signature?.Signature is { Length: > 0 } bytes
            && channel.Policy.Verify(key, [.. security.Certificate!.RawData, .. session.ServerNonce], bytes);
        if (!valid) throw new OpcUaException(StatusCodes.BadApplicationSignatureInvalid, "the client's signature over the server certificate and nonce is wrong");
    }

    public CloseSessionResponse Close(CloseSessionRequest request)
    {
        var session = sessions.Close(request.RequestHeader.AuthenticationToken);
        subscriptions.OnSessionClosed(session, request.DeleteSubscriptions);
        return new CloseSessionResponse();
    }
}
