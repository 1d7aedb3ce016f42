using System.Security.Cryptography;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.Sessions;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Services;

/// <summary>
/// CreateSession, ActivateSession and CloseSession (Part 4, 5.6). Every CreateSession and ActivateSession answer
/// carries a fresh 32-byte server nonce, to which the next identity token must be bound; refused logins are
/// reported through <paramref name="denied"/> with their reason.
/// </summary>
internal sealed class SessionService(
    SessionManager sessions,
    DiscoveryService discovery,
    OpcUaServerOptions options,
    SubscriptionService subscriptions,
    UserAuthenticator authenticator,
    Action<AccessDenied> denied)
{
    private const int NonceLength = 32;

    public CreateSessionResponse Create(CreateSessionRequest request, uint channelId)
    {
        var session = sessions.Create(request.SessionName, channelId, request.RequestedSessionTimeout);
        session.ServerNonce = RandomNumberGenerator.GetBytes(NonceLength);
        return new CreateSessionResponse
        {
            SessionId = session.SessionId,
            AuthenticationToken = session.AuthenticationToken,
            RevisedSessionTimeout = session.Timeout.TotalMilliseconds,
            ServerNonce = session.ServerNonce,
            ServerCertificate = options.ApplicationCertificate?.RawData,
            ServerEndpoints = discovery.Endpoints(request.EndpointUrl),
            ServerSignature = new SignatureData(),
            MaxRequestMessageSize = options.Transport.MaxMessageSize,
        };
    }

    public ActivateSessionResponse Activate(ActivateSessionRequest request, uint channelId)
    {
        var session = sessions.Find(request.RequestHeader.AuthenticationToken);
        string? claimedUser = null;
        UserIdentity identity;
        try
        {
            identity = authenticator.Authenticate(request, session.ServerNonce, ref claimedUser);
        }
        catch (OpcUaException ex)
        {
            denied(new AccessDenied("ActivateSession", claimedUser, null, ex.Status, ex.Message));
            throw;
        }
        sessions.Activate(session, channelId, identity);
        session.ServerNonce = RandomNumberGenerator.GetBytes(NonceLength);
        return new ActivateSessionResponse { ServerNonce = session.ServerNonce, Results = [], DiagnosticInfos = [] };
    }

    public CloseSessionResponse Close(CloseSessionRequest request)
    {
        var session = sessions.Close(request.RequestHeader.AuthenticationToken);
        subscriptions.OnSessionClosed(session, request.DeleteSubscriptions);
        return new CloseSessionResponse();
    }
}
