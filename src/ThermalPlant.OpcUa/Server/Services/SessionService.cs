using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.SecureChannel;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.OpcUa.Server.Sessions;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Services;

/// <summary>
/// CreateSession, ActivateSession and CloseSession (Part 4, 5.6). Every CreateSession and ActivateSession answer
/// carries a fresh 32-byte server nonce, to which the next identity token must be bound; refused logins are
/// reported through <paramref name="denied"/> with their reason. On a secured channel the server proves its identity
/// by signing the client's certificate and nonce, and the client by signing the server's certificate and last nonce.
/// The dispatcher refuses all three on a channel whose policy and mode no endpoint offers: a session created or moved
/// there would run with less security than any endpoint allows.
/// </summary>
internal sealed class SessionService(
    SessionManager sessions,
    DiscoveryService discovery,
    OpcUaServerOptions options,
    ServerSecurity security,
    SubscriptionService subscriptions,
    UserAuthenticator authenticator,
    Action<AccessDenied> denied,
    Action<IdentityChanged> identityChanged)
{
    private const int NonceLength = 32;

    public CreateSessionResponse Create(CreateSessionRequest request, ServerSecureChannel channel)
    {
        var signature = new SignatureData();
        if (!channel.Policy.IsNone)
        {
            if (request.ClientNonce is not { Length: >= NonceLength }) throw new OpcUaException(StatusCodes.BadNonceInvalid, $"the client nonce must have at least {NonceLength} bytes");
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
        var session = sessions.Create(request.SessionName, channel.ChannelId, ChannelPinning.Thumbprint(channel.ClientCertificate), request.RequestedSessionTimeout);
        session.ServerNonce = RandomNumberGenerator.GetBytes(NonceLength);
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

    /// <summary>
    /// Activates the session for the request's identity token: on its own channel, or on a new channel of the same
    /// client after a reconnect, then only for the same user (Part 4, 5.6.3). Every refusal is reported; a change of
    /// user on the same channel passes the authenticator like a first login and is reported too.
    /// </summary>
    public async Task<ActivateSessionResponse> ActivateAsync(ActivateSessionRequest request, ServerSecureChannel channel, CancellationToken cancellationToken)
    {
        var session = sessions.Find(request.RequestHeader.AuthenticationToken);
        var previous = session.IsActivated ? session.Identity : null;
        var claimedUser = new StrongBox<string?>();
        var placeholder = RandomNumberGenerator.GetBytes(NonceLength);
        var nonce = session.ClaimNonce(placeholder);
        UserIdentity identity;
        try
        {
            var moves = ChannelPinning.CheckActivation(session, channel.ChannelId, ChannelPinning.Thumbprint(channel.ClientCertificate));
            CheckClientSignature(request, channel, nonce);
            identity = await authenticator.AuthenticateAsync(request, nonce, claimedUser, cancellationToken).ConfigureAwait(false);
            if (moves && !previous!.IsSameUser(identity))
            {
                throw new OpcUaException(StatusCodes.BadIdentityChangeNotSupported, "a session moving to a new secure channel must keep its user; change the user on the new channel afterwards");
            }
        }
        catch (OpcUaException ex)
        {
            session.ReturnNonce(nonce, placeholder);
            // The role is the session's only while the refused login claims the session's user.
            var user = claimedUser.Value ?? previous?.UserName;
            denied(new AccessDenied("ActivateSession", user, user == previous?.UserName ? previous?.Role : null, ex.Status, ex.Message));
            throw;
        }
        sessions.Activate(session, channel.ChannelId, identity);
        if (previous is not null && previous != identity)
        {
            var deleted = subscriptions.OnIdentityChanged(session, identity);
            identityChanged(new IdentityChanged(session.Name, previous.UserName, previous.Role, identity.UserName, identity.Role, deleted));
        }
        session.ServerNonce = RandomNumberGenerator.GetBytes(NonceLength);
        return new ActivateSessionResponse { ServerNonce = session.ServerNonce, Results = [], DiagnosticInfos = [] };
    }

    /// <summary>On a secured channel the client signs our certificate and last nonce with its key (Part 4, 5.6.3).</summary>
    private void CheckClientSignature(ActivateSessionRequest request, ServerSecureChannel channel, byte[] nonce)
    {
        if (channel.Policy.IsNone) return;
        var signature = request.ClientSignature;
        using var key = channel.ClientCertificate!.GetRSAPublicKey()!;
        // The algorithm URI is not compared: stacks name RSA-PSS differently, and the signature check decides anyway.
        var valid = signature?.Signature is { Length: > 0 } bytes
            && channel.Policy.Verify(key, [.. security.Certificate!.RawData, .. nonce], bytes);
        if (!valid) throw new OpcUaException(StatusCodes.BadApplicationSignatureInvalid, "the client's signature over the server certificate and nonce is wrong");
    }

    public CloseSessionResponse Close(CloseSessionRequest request)
    {
        var session = sessions.Close(request.RequestHeader.AuthenticationToken);
        subscriptions.OnSessionClosed(session, request.DeleteSubscriptions);
        return new CloseSessionResponse();
    }
}
