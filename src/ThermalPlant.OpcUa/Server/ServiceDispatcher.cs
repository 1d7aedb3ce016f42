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
/// without operations that need a permission (CreateSubscription, TransferSubscriptions, and CreateMonitoredItems
/// as a whole) are refused here with BadUserAccessDenied when the session's role lacks Subscribe; Read, Write,
/// HistoryRead and each monitored item are refused per operation by the user's UserAccessLevel. Every refusal is
/// reported once per request through <paramref name="denied"/>, with the nodes refused. Any other exception is a fault
/// of the server's: that request is answered with BadInternalError, the connection stays, and <paramref name="failed"/>
/// reports it with the service's name.
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
    OpcUaServerOptions options,
    MethodService methods,
    TimeProvider time,
    Action<AccessDenied> denied,
    Action<ServiceFailed> failed,
    CancellationToken stopping)
{
    /// <summary>
    /// Serves one request; null when the answer comes later through <paramref name="responder"/> (Publish). A response
    /// that grows with the data (HistoryRead) is built to fit <paramref name="maxResponseBytes"/>, the message size the
    /// client accepts.
    /// </summary>
    public IServiceResponse? Dispatch(IEncodeable message, ServerSecureChannel channel, uint requestId, IResponder responder, long maxResponseBytes)
    {
        var channelId = channel.ChannelId;
        if (message is not IServiceRequest request)
        {
            return Fault(null, StatusCodes.BadServiceUnsupported);
        }
        try
        {
            RequestLimits.Check(request, options);
            if (request is PublishRequest publish)
            {
                subscriptions.Publish(publish, Session(publish, channelId), requestId, responder);
                return null;
            }
            if (request is ActivateSessionRequest activate)
            {
                // A password check costs about 0.3 s of CPU and may wait for a slot: it runs on the thread pool and
                // answers later, so the connection's read loop goes on (and a fleet of logins cannot stall it). Nothing
                // awaits the task: ActivateAsync catches every exception itself and reports the unexpected ones.
                _ = Task.Run(() => ActivateAsync(activate, channel, requestId, responder), CancellationToken.None);
                return null;
            }
            IServiceResponse response = request switch
            {
                GetEndpointsRequest r => discovery.GetEndpoints(r),
                FindServersRequest r => discovery.FindServers(r),
                CreateSessionRequest r => sessionService.Create(r, channel),
                CloseSessionRequest r => sessionService.Close(r),
                ReadRequest r => Read(r, channelId),
                BrowseRequest r => views.Browse(WithSession(r, channelId, out var session), session),
                BrowseNextRequest r => views.BrowseNext(WithSession(r, channelId, out var session), session),
                WriteRequest r => Write(r, channelId),
                TranslateBrowsePathsToNodeIdsRequest r => views.Translate(WithSession(r, channelId, out _)),
                // Registering lets a client name nodes cheaply; ours are all cheap, so the ids come back unchanged.
                RegisterNodesRequest r => new RegisterNodesResponse { RegisteredNodeIds = WithSession(r, channelId, out _).NodesToRegister ?? [] },
                UnregisterNodesRequest r => Unregistered(WithSession(r, channelId, out _)),
                CreateSubscriptionRequest r => subscriptions.Create(WithRoomForSubscription(r), Session(r, channelId, UserPermissions.Subscribe)),
                ModifySubscriptionRequest r => subscriptions.Modify(r, Session(r, channelId)),
                SetPublishingModeRequest r => subscriptions.SetPublishingMode(r, Session(r, channelId)),
                DeleteSubscriptionsRequest r => subscriptions.Delete(r, Session(r, channelId)),
                TransferSubscriptionsRequest r => Transfer(r, channelId),
                RepublishRequest r => subscriptions.Republish(r, Session(r, channelId)),
                CreateMonitoredItemsRequest r => CreateItems(r, channelId),
                ModifyMonitoredItemsRequest r => subscriptions.ModifyItems(r, Session(r, channelId)),
                DeleteMonitoredItemsRequest r => subscriptions.DeleteItems(r, Session(r, channelId)),
                SetMonitoringModeRequest r => subscriptions.SetMonitoringMode(r, Session(r, channelId)),
                SetTriggeringRequest r => subscriptions.SetTriggering(r, Session(r, channelId)),
                HistoryReadRequest r => HistoryRead(r, channelId, maxResponseBytes),
                CallRequest r => Call(r, channelId),
                _ => throw new OpcUaException(StatusCodes.BadServiceUnsupported, $"{request.GetType().Name} is not served"),
            };
            response.ResponseHeader = Header(request.RequestHeader, StatusCode.Good);
            return response;
        }
        catch (OpcUaException ex)
        {
            return Fault(request.RequestHeader, ex.Status);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            failed(new ServiceFailed(ServiceName(request), ex));
            return Fault(request.RequestHeader, StatusCodes.BadInternalError);
        }
    }

    private async Task ActivateAsync(ActivateSessionRequest request, ServerSecureChannel channel, uint requestId, IResponder responder)
    {
        IServiceResponse response;
        try
        {
            response = await sessionService.ActivateAsync(request, channel, stopping).ConfigureAwait(false);
            response.ResponseHeader = Header(request.RequestHeader, StatusCode.Good);
        }
        catch (OpcUaException ex)
        {
            response = Fault(request.RequestHeader, ex.Status);
        }
        catch (Exception ex) when (stopping.IsCancellationRequested && ex is OperationCanceledException or ObjectDisposedException)
        {
            // The server stops: the connection closes without an answer.
            return;
        }
        catch (Exception ex)
        {
            failed(new ServiceFailed("ActivateSession", ex));
            response = Fault(request.RequestHeader, StatusCodes.BadInternalError);
        }
        try
        {
            if (responder.IsOpen) responder.Respond(requestId, response);
        }
        catch (Exception ex)
        {
            // Nothing awaits this task: a failure to answer is reported here or it would go unseen.
            failed(new ServiceFailed("ActivateSession", ex));
        }
    }

    private static string ServiceName(IServiceRequest request) => request.GetType().Name.Replace("Request", string.Empty, StringComparison.Ordinal);

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

    private ReadResponse Read(ReadRequest request, uint channelId)
    {
        var identity = Session(request, channelId).Identity;
        var response = attributes.Read(request, identity);
        ReportRefused("Read", identity, UserPermissions.Read, request.NodesToRead!, n => n.NodeId, response.Results!, r => r.Status);
        return response;
    }

    private WriteResponse Write(WriteRequest request, uint channelId)
    {
        var identity = Session(request, channelId).Identity;
        var response = writes.Write(request, identity);
        ReportRefused("Write", identity, UserPermissions.Write, request.NodesToWrite!, n => n.NodeId, response.Results!, r => r);
        return response;
    }

    private HistoryReadResponse HistoryRead(HistoryReadRequest request, uint channelId, long maxResponseBytes)
    {
        var session = Session(request, channelId);
        var response = history.Read(request, session, maxResponseBytes);
        ReportRefused("HistoryRead", session.Identity, UserPermissions.HistoryRead, request.NodesToRead!, n => n.NodeId, response.Results!, r => r.StatusCode);
        return response;
    }

    /// <summary>The request when the server has room for one more subscription (all sessions together); BadTooManySubscriptions otherwise.</summary>
    private CreateSubscriptionRequest WithRoomForSubscription(CreateSubscriptionRequest request) =>
        subscriptions.SubscriptionCount < options.MaxSubscriptions ? request : throw new OpcUaException(StatusCodes.BadTooManySubscriptions, $"the server serves at most {options.MaxSubscriptions} subscriptions");

    private CallResponse Call(CallRequest request, uint channelId)
    {
        var session = Session(request, channelId);
        var identity = session.Identity;
        var response = methods.Call(request, session);
        var needed = request.MethodsToCall!.Where((_, i) => response.Results![i].StatusCode.Code == StatusCodes.BadUserAccessDenied).Aggregate(UserPermissions.None, (all, m) => all | methods.PermissionOf(m.MethodId));
        ReportRefused("Call", identity, needed, request.MethodsToCall!, n => n.MethodId, response.Results!, r => r.StatusCode);
        return response;
    }

    private CreateMonitoredItemsResponse CreateItems(CreateMonitoredItemsRequest request, uint channelId)
    {
        var session = Session(request, channelId, UserPermissions.Subscribe);
        if ((long)subscriptions.MonitoredItemCount + (request.ItemsToCreate?.Length ?? 0) > options.MaxMonitoredItems)
        {
            throw new OpcUaException(StatusCodes.BadTooManyMonitoredItems, $"the server serves at most {options.MaxMonitoredItems} monitored items");
        }
        var response = subscriptions.CreateItems(request, session);
        ReportRefused("CreateMonitoredItems", session.Identity, UserPermissions.Read, request.ItemsToCreate!, n => n.ItemToMonitor.NodeId, response.Results!, r => r.StatusCode);
        return response;
    }

    private TransferSubscriptionsResponse Transfer(TransferSubscriptionsRequest request, uint channelId)
    {
        var session = Session(request, channelId, UserPermissions.Subscribe);
        var identity = session.Identity;
        var response = subscriptions.Transfer(request, session);
        var refused = request.SubscriptionIds!.Where((_, i) => response.Results![i].StatusCode.Code == StatusCodes.BadUserAccessDenied).ToArray();
        if (refused.Length > 0)
        {
            denied(new AccessDenied("TransferSubscriptions", identity.UserName, identity.Role, StatusCodes.BadUserAccessDenied, $"subscriptions {string.Join(", ", refused)} belong to another user"));
        }
        return response;
    }

    /// <summary>
    /// Reports once per request the operations refused with BadUserAccessDenied (Part 4, 7.34: an operation's
    /// failure is its result's status, the service succeeds), with the nodes they named.
    /// </summary>
    private void ReportRefused<TItem, TResult>(string service, UserIdentity identity, UserPermissions permission, TItem[] items, Func<TItem, NodeId> node, TResult[] results, Func<TResult, StatusCode> status)
    {
        // The list only when something was refused: this runs for every Read and Write.
        List<NodeId>? refused = null;
        for (var i = 0; i < results.Length; i++)
        {
            if (status(results[i]).Code == StatusCodes.BadUserAccessDenied) (refused ??= []).Add(node(items[i]));
        }
        if (refused is null) return;
        var reason = $"role '{identity.Role}' lacks the {permission} permission; {refused.Count} of {results.Length} operations refused";
        denied(new AccessDenied(service, identity.UserName, identity.Role, StatusCodes.BadUserAccessDenied, reason, refused));
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
