using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.Sessions;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Services;

/// <summary>CreateSession, ActivateSession and CloseSession (Part 4, 5.6), anonymous identities only for now.</summary>
internal sealed class SessionService(SessionManager sessions, DiscoveryService discovery, OpcUaServerOptions options, SubscriptionService subscriptions)
{
    public CreateSessionResponse Create(CreateSessionRequest request, uint channelId)
    {
        var session = sessions.Create(request.SessionName, channelId, request.RequestedSessionTimeout);
        return new CreateSessionResponse
        {
            SessionId = session.SessionId,
            AuthenticationToken = session.AuthenticationToken,
            RevisedSessionTimeout = session.Timeout.TotalMilliseconds,
            ServerNonce = new byte[32],
            ServerEndpoints = discovery.Endpoints(request.EndpointUrl),
            ServerSignature = new SignatureData(),
            MaxRequestMessageSize = options.Transport.MaxMessageSize,
        };
    }

    public ActivateSessionResponse Activate(ActivateSessionRequest request, uint channelId)
    {
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
        sessions.Activate(request.RequestHeader.AuthenticationToken, channelId);
        return new ActivateSessionResponse { ServerNonce = new byte[32], Results = [], DiagnosticInfos = [] };
    }

    public CloseSessionResponse Close(CloseSessionRequest request)
    {
        var session = sessions.Close(request.RequestHeader.AuthenticationToken);
        subscriptions.OnSessionClosed(session, request.DeleteSubscriptions);
        return new CloseSessionResponse();
    }
}
