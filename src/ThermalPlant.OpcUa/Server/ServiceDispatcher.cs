using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Messages;
using ThermalPlant.OpcUa.SecureChannel;
using ThermalPlant.OpcUa.Server.Services;
using ThermalPlant.OpcUa.Server.Sessions;
using ThermalPlant.OpcUa.Server.Subscriptions;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server;

/// <summary>
/// Routes each request to its service by type; services never call each other. A refused request becomes a
/// ServiceFault carrying the status code, a failed operation a status in its result (Part 4, 7.34). Services
/// that need a permission (Read, HistoryRead, Subscribe) are refused here with BadUserAccessDenied when the
/// session's role lacks it; writes are refused per operation. Every refusal is reported through
/// <paramref name="denied"/>.
/// </summary>
internal sealed class ServiceDispatcher(
    DiscoveryService discovery,
    SessionService sessionService,
    SessionManager sessions,
    AttributeService attributes,
    WriteService writes,
    ViewService views,
    SubscriptionService subscriptions,
    HistoryService history,
    TimeProvider time,
    Action<AccessDenied> denied)
{
    /// <summary>
    /// Serves one request; null when the answer comes later through <paramref name="responder"/> (Publish).
    /// </summary>
    public IServiceResponse? Dispatch(IEncodeable message, ServerSecureChannel channel, uint requestId, IResponder responder)
    {
        var channelId = channel.ChannelId;
        if (message is not IServiceRequest request)
        {
            return Fault(null, StatusCodes.BadServiceUnsupported);
        }
        try
        {
            if (request is PublishRequest publish)
            {
                subscriptions.Publish(publish, Session(publish, channelId), requestId, responder);
                return null;
            }
            IServiceResponse response = request switch
            {
                GetEndpointsRequest r => discovery.GetEndpoints(r),
                FindServersRequest r => discovery.FindServers(r),
                CreateSessionRequest r => sessionService.Create(r, channel),
                ActivateSessionRequest r => sessionService.Activate(r, channel),
                CloseSessionRequest r => sessionService.Close(r),
                ReadRequest r => attributes.Read(Permitted(r, channelId, UserPermissions.Read)),
                BrowseRequest r => views.Browse(WithSession(r, channelId, out var session), session),
                BrowseNextRequest r => views.BrowseNext(WithSession(r, channelId, out var session), session),
                WriteRequest r => Write(r, channelId),
                TranslateBrowsePathsToNodeIdsRequest r => views.Translate(WithSession(r, channelId, out _)),
                // Registering lets a client name nodes cheaply; ours are all cheap, so the ids come back unchanged.
                RegisterNodesRequest r => new RegisterNodesResponse { RegisteredNodeIds = WithSession(r, channelId, out _).NodesToRegister ?? [] },
                UnregisterNodesRequest r => Unregistered(WithSession(r, channelId, out _)),
                CreateSubscriptionRequest r => subscriptions.Create(r, Session(r, channelId, UserPermissions.Subscribe)),
                ModifySubscriptionRequest r => subscriptions.Modify(r, Session(r, channelId)),
                SetPublishingModeRequest r => subscriptions.SetPublishingMode(r, Session(r, channelId)),
                DeleteSubscriptionsRequest r => subscriptions.Delete(r, Session(r, channelId)),
                TransferSubscriptionsRequest r => subscriptions.Transfer(r, Session(r, channelId, UserPermissions.Subscribe)),
                RepublishRequest r => subscriptions.Republish(r, Session(r, channelId)),
                CreateMonitoredItemsRequest r => subscriptions.CreateItems(r, Session(r, channelId, UserPermissions.Subscribe)),
                ModifyMonitoredItemsRequest r => subscriptions.ModifyItems(r, Session(r, channelId)),
                DeleteMonitoredItemsRequest r => subscriptions.DeleteItems(r, Session(r, channelId)),
                SetMonitoringModeRequest r => subscriptions.SetMonitoringMode(r, Session(r, channelId)),
                SetTriggeringRequest r => subscriptions.SetTriggering(r, Session(r, channelId)),
                HistoryReadRequest r => history.Read(r, Session(r, channelId, UserPermissions.HistoryRead)),
                _ => throw new OpcUaException(StatusCodes.BadServiceUnsupported, $"{request.GetType().Name} is not served"),
            };
            response.ResponseHeader = Header(request.RequestHeader, StatusCode.Good);
            return response;
        }
        catch (OpcUaException ex)
        {
            return Fault(request.RequestHeader, ex.Status);
        }
    }

    private Session Session(IServiceRequest request, uint channelId) => sessions.ForRequest(request.RequestHeader.AuthenticationToken, channelId);

    /// <summary>The request's session when its role grants <paramref name="permission"/>; BadUserAccessDenied otherwise.</summary>
    private Session Session(IServiceRequest request, uint channelId, UserPermissions permission)
    {
        var session = Session(request, channelId);
        if (session.Identity.May(permission)) return session;
        var identity = session.Identity;
        var service = request.GetType().Name.Replace("Request", string.Empty, StringComparison.Ordinal);
        denied(new AccessDenied(service, identity.UserName, identity.Role, StatusCodes.BadUserAccessDenied, $"role '{identity.Role}' lacks the {permission} permission"));
        throw new OpcUaException(StatusCodes.BadUserAccessDenied, $"{service} needs the {permission} permission");
    }

    private T Permitted<T>(T request, uint channelId, UserPermissions permission)
        where T : IServiceRequest
    {
        Session(request, channelId, permission);
        return request;
    }

    private WriteResponse Write(WriteRequest request, uint channelId)
    {
        var identity = Session(request, channelId).Identity;
        var response = writes.Write(request, identity);
        var refused = 0;
        foreach (var result in response.Results ?? [])
        {
            if (result.Code == StatusCodes.BadUserAccessDenied) refused++;
        }
        if (refused > 0)
        {
            denied(new AccessDenied("Write", identity.UserName, identity.Role, StatusCodes.BadUserAccessDenied, $"role '{identity.Role}' lacks the Write permission; {refused} of {response.Results!.Length} writes refused"));
        }
        return response;
    }

    private T WithSession<T>(T request, uint channelId, out Session session)
        where T : IServiceRequest
    {
        session = sessions.ForRequest(request.RequestHeader.AuthenticationToken, channelId);
        return request;
    }

    private static UnregisterNodesResponse Unregistered(UnregisterNodesRequest request) =>
        request.NodesToUnregister is { Length: > 0 } ? new UnregisterNodesResponse() : throw new OpcUaException(StatusCodes.BadNothingToDo, "no nodes to unregister");

    private ServiceFault Fault(RequestHeader? request, StatusCode status) => new() { ResponseHeader = Header(request, status) };

    private ResponseHeader Header(RequestHeader? request, StatusCode status) => new()
    {
        Timestamp = time.GetUtcNow().UtcDateTime,
        RequestHandle = request?.RequestHandle ?? 0,
        ServiceResult = status,
    };
}
