using System.Collections.Frozen;
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
/// Routes each request to its service through <see cref="Services"/>, the one table that declares per service what it
/// needs before it runs: which channel and session (<see cref="ServiceAccess"/>) and which permission of the
/// session's role. The dispatcher checks both before any handler runs, so a service added to the table cannot skip
/// them. Each handler calls its own service only: no service calls another. A refused request becomes a ServiceFault carrying the
/// status code, a failed operation a status in its result (Part 4, 7.34). Services refused as a whole for want of a
/// permission answer BadUserAccessDenied; Read, Write, HistoryRead, Call and each monitored item are refused per
/// operation by the user's access levels and method permissions. On a channel whose policy and mode no endpoint
/// offers (SecurityPolicy None used for discovery only) every service but the discovery ones answers
/// BadSecurityPolicyRejected, as the OPC Foundation stack does (Part 4, 3.1.3 and 5.5.1: a DiscoveryEndpoint serves the
/// Discovery Services without message security, nothing else). Every refusal is reported once per request through
/// the <c>denied</c> callback, with the nodes refused. Any other exception is a fault of the server's: that request is
/// answered with BadInternalError, the connection stays, and the <c>failed</c> callback reports it with the service's name.
/// Services that may block or take long run on the thread pool and answer through the connection's responder, at most
/// <see cref="OpcUaServerOptions.MaxBackgroundRequestsPerConnection"/> per connection (<see cref="ServiceRuns"/>); the
/// others are answered on the connection's read loop.
/// </summary>
internal sealed class ServiceDispatcher
{
    /// <summary>Every service served, by its request's DefaultBinary encoding id.</summary>
    internal static readonly FrozenDictionary<uint, ServiceEntry> Services = new ServiceEntry[]
    {
        ServiceEntry.Of<GetEndpointsRequest>(ServiceAccess.Discovery, UserPermissions.None, static (d, r, _) => d._discovery.GetEndpoints(r)),
        ServiceEntry.Of<FindServersRequest>(ServiceAccess.Discovery, UserPermissions.None, static (d, r, _) => d._discovery.FindServers(r)),
        // On a secured channel the server signs with its private key (about a millisecond of CPU).
        ServiceEntry.InBackground<CreateSessionRequest>(ServiceAccess.Channel, UserPermissions.None, static (d, r, c) => d._sessionService.Create(r, c.Channel)),
        // A password check costs about 0.3 s of CPU and may wait for a slot (and a fleet of logins must not stall the read
        // loop). Its bound is the server's password-check gate, which refuses and reports a login beyond its queue: the
        // other identity tokens cost a signature check at most.
        ServiceEntry.InBackground<ActivateSessionRequest>(ServiceAccess.Session, UserPermissions.None, static (d, r, c) => d.ActivateAsync(r, c.Channel), takesSlot: false),
        ServiceEntry.Of<CloseSessionRequest>(ServiceAccess.Session, UserPermissions.None, static (d, r, _) => d._sessionService.Close(r)),
        ServiceEntry.Of<ReadRequest>(ServiceAccess.ActivatedSession, UserPermissions.None, static (d, r, c) => d.Read(r, c.ActivatedSession, c.Received)),
        // A plain variable's value is set in memory; a write handler is the host's code, a history store may be a file or a database.
        ServiceEntry.InBackgroundWhen<WriteRequest>(ServiceAccess.ActivatedSession, UserPermissions.None, static (d, r) => d._writes.MayBlock(r), static (d, r, c) => d.Write(r, c.ActivatedSession)),
        // The history store is the host's (a file, a database) and a response may gather up to 100,000 values.
        ServiceEntry.InBackground<HistoryReadRequest>(ServiceAccess.ActivatedSession, UserPermissions.None, static (d, r, c) => d.HistoryRead(r, c.ActivatedSession, c.MaxResponseBytes)),
        // Methods are the host's code (a condition refresh queues every active alarm's event).
        ServiceEntry.InBackground<CallRequest>(ServiceAccess.ActivatedSession, UserPermissions.None, static (d, r, c) => d.Call(r, c.ActivatedSession)),
        ServiceEntry.Of<BrowseRequest>(ServiceAccess.ActivatedSession, UserPermissions.None, static (d, r, c) => d._views.Browse(r, c.ActivatedSession)),
        ServiceEntry.Of<BrowseNextRequest>(ServiceAccess.ActivatedSession, UserPermissions.None, static (d, r, c) => d._views.BrowseNext(r, c.ActivatedSession)),
        ServiceEntry.Of<TranslateBrowsePathsToNodeIdsRequest>(ServiceAccess.ActivatedSession, UserPermissions.None, static (d, r, _) => d._views.Translate(r)),
        // Registering lets a client name nodes cheaply; ours are all cheap, so the ids come back unchanged.
        ServiceEntry.Of<RegisterNodesRequest>(ServiceAccess.ActivatedSession, UserPermissions.None, static (_, r, _) => new RegisterNodesResponse { RegisteredNodeIds = r.NodesToRegister ?? [] }),
        ServiceEntry.Of<UnregisterNodesRequest>(ServiceAccess.ActivatedSession, UserPermissions.None, static (_, r, _) => Unregistered(r)),
        ServiceEntry.Of<CreateSubscriptionRequest>(ServiceAccess.ActivatedSession, UserPermissions.Subscribe, static (d, r, c) => d.CreateSubscription(r, c.ActivatedSession)),
        // These wait for the subscription's lock, which a publishing cycle holds while it builds a message (milliseconds
        // at 100,000 items); Publish, Republish and DeleteSubscriptions never wait for it (Subscription.OnPublishRequest).
        ServiceEntry.InBackground<ModifySubscriptionRequest>(ServiceAccess.ActivatedSession, UserPermissions.None, static (d, r, c) => d._subscriptions.Modify(r, c.ActivatedSession)),
        ServiceEntry.InBackground<SetPublishingModeRequest>(ServiceAccess.ActivatedSession, UserPermissions.None, static (d, r, c) => d._subscriptions.SetPublishingMode(r, c.ActivatedSession)),
        ServiceEntry.Of<DeleteSubscriptionsRequest>(ServiceAccess.ActivatedSession, UserPermissions.None, static (d, r, c) => d._subscriptions.Delete(r, c.ActivatedSession)),
        ServiceEntry.InBackground<TransferSubscriptionsRequest>(ServiceAccess.ActivatedSession, UserPermissions.Subscribe, static (d, r, c) => d.Transfer(r, c.ActivatedSession)),
        ServiceEntry.Of<RepublishRequest>(ServiceAccess.ActivatedSession, UserPermissions.None, static (d, r, c) => d._subscriptions.Republish(r, c.ActivatedSession)),
        // Publish answers later, when a notification or keep-alive is due.
        ServiceEntry.Of<PublishRequest>(ServiceAccess.ActivatedSession, UserPermissions.None, static (d, r, c) =>
        {
            d._subscriptions.Publish(r, c.ActivatedSession, c.RequestId, c.Responder);
            return null;
        }),
        ServiceEntry.InBackground<CreateMonitoredItemsRequest>(ServiceAccess.ActivatedSession, UserPermissions.Subscribe, static (d, r, c) => d.CreateItems(r, c.ActivatedSession)),
        ServiceEntry.InBackground<ModifyMonitoredItemsRequest>(ServiceAccess.ActivatedSession, UserPermissions.None, static (d, r, c) => d._subscriptions.ModifyItems(r, c.ActivatedSession)),
        ServiceEntry.InBackground<DeleteMonitoredItemsRequest>(ServiceAccess.ActivatedSession, UserPermissions.None, static (d, r, c) => d._subscriptions.DeleteItems(r, c.ActivatedSession)),
        ServiceEntry.InBackground<SetMonitoringModeRequest>(ServiceAccess.ActivatedSession, UserPermissions.None, static (d, r, c) => d._subscriptions.SetMonitoringMode(r, c.ActivatedSession)),
        ServiceEntry.InBackground<SetTriggeringRequest>(ServiceAccess.ActivatedSession, UserPermissions.None, static (d, r, c) => d._subscriptions.SetTriggering(r, c.ActivatedSession)),
    }.ToFrozenDictionary(s => s.EncodingId);

    /// <summary>
    /// NodeIds the server's connections decoded, found again by their bytes: a client reading the same nodes request after
    /// request, with the same session token, costs no new NodeIds (every connection decodes its requests with it).
    /// </summary>
    public NodeIdCache NodeIds { get; } = new();

    private readonly DiscoveryService _discovery;
    private readonly SessionService _sessionService;
    private readonly SessionManager _sessions;
    private readonly AttributeService _attributes;
    private readonly WriteService _writes;
    private readonly ViewService _views;
    private readonly SubscriptionService _subscriptions;
    private readonly HistoryService _history;
    private readonly OpcUaServerOptions _options;
    private readonly MethodService _methods;
    private readonly ServerSecurity _security;
    private readonly TimeProvider _time;
    private readonly Action<AccessDenied> _denied;
    private readonly Action<ServiceFailed> _failed;
    private readonly CancellationToken _stopping;

    public ServiceDispatcher(
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
        ServerSecurity security,
        TimeProvider time,
        Action<AccessDenied> denied,
        Action<ServiceFailed> failed,
        CancellationToken stopping)
    {
        _discovery = discovery;
        _sessionService = sessionService;
        _sessions = sessions;
        _attributes = attributes;
        _writes = writes;
        _views = views;
        _subscriptions = subscriptions;
        _history = history;
        _options = options;
        _methods = methods;
        _security = security;
        _time = time;
        _denied = denied;
        _failed = failed;
        _stopping = stopping;
    }

    /// <summary>
    /// Serves one request on the connection's read loop, or starts it in the background (<see cref="ServiceEntry.Runs"/>)
    /// when <paramref name="background"/>, the connection's slots, has one free (BadServerTooBusy otherwise). Returns null
    /// when the answer comes later through <paramref name="responder"/> (Publish, and every request in the background). A
    /// response that grows with the data (HistoryRead) is built to fit <paramref name="maxResponseBytes"/>, the message
    /// size the client accepts. <paramref name="received"/> is the server's clock when the request's chunk was checked: a
    /// response answered at once carries it as its timestamp.
    /// </summary>
    public IServiceResponse? Dispatch(IEncodeable message, ServerSecureChannel channel, uint requestId, IResponder responder, long maxResponseBytes, BackgroundRequests background, DateTime received)
    {
        if (message is not IServiceRequest request || !Services.TryGetValue(request.EncodingId, out var service))
        {
            return Fault((message as IServiceRequest)?.RequestHeader, StatusCodes.BadServiceUnsupported, received);
        }
        try
        {
            if (service.Access != ServiceAccess.Discovery && !_security.Offers(channel.Policy, channel.Mode))
            {
                var reason = $"no endpoint offers {channel.Policy.Uri} with {channel.Mode}; this channel is for discovery only";
                _denied(new AccessDenied(service.Name, null, null, StatusCodes.BadSecurityPolicyRejected, reason));
                throw new OpcUaException(StatusCodes.BadSecurityPolicyRejected, reason);
            }
            RequestLimits.Check(request, _options);
            var session = service.Access == ServiceAccess.ActivatedSession ? ActivatedSession(service, request, channel.ChannelId) : null;
            var call = new ServiceCall(request, channel, session, requestId, responder, maxResponseBytes, received);
            if (service.RunsInBackground(this, request))
            {
                StartInBackground(service, call, background);
                return null;
            }
            var response = service.Handle(this, call);
            if (response is null) return null;
            response.ResponseHeader = Header(request.RequestHeader, StatusCode.Good, received);
            return response;
        }
        catch (OpcUaException ex)
        {
            return Fault(request.RequestHeader, ex.Status, received);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _failed(new ServiceFailed(service.Name, ex));
            return Fault(request.RequestHeader, StatusCodes.BadInternalError, received);
        }
    }

    /// <summary>
    /// Runs <paramref name="call"/> on the thread pool in one of the connection's slots: the read loop goes on at once.
    /// Nothing awaits the task: <see cref="ServeInBackgroundAsync"/> catches every exception itself and reports the
    /// unexpected ones.
    /// </summary>
    private void StartInBackground(ServiceEntry service, ServiceCall call, BackgroundRequests background)
    {
        if (service.TakesSlot && !background.TryStart())
        {
            throw new OpcUaException(StatusCodes.BadServerTooBusy, $"this connection has {background.Limit} requests running already (HistoryRead, Call, sessions, writes to host code, the monitored-item services); send more when they are answered");
        }
        _ = Task.Run(() => ServeInBackgroundAsync(service, call, background), CancellationToken.None);
    }

    private async Task ServeInBackgroundAsync(ServiceEntry service, ServiceCall call, BackgroundRequests background)
    {
        var header = call.Request.RequestHeader;
        try
        {
            IServiceResponse response;
            try
            {
                response = await service.HandleInBackground(this, call).ConfigureAwait(false);
                response.ResponseHeader = Header(header, StatusCode.Good);
            }
            catch (OpcUaException ex)
            {
                response = Fault(header, ex.Status);
            }
            catch (Exception ex) when (_stopping.IsCancellationRequested && ex is OperationCanceledException or ObjectDisposedException)
            {
                // The server stops: the connection closes without an answer.
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _failed(new ServiceFailed(service.Name, ex));
                response = Fault(header, StatusCodes.BadInternalError);
            }
            if (call.Responder.IsOpen) call.Responder.Respond(call.RequestId, response);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Nothing awaits this task: a failure to answer is reported here or it would go unseen.
            _failed(new ServiceFailed(service.Name, ex));
        }
        finally
        {
            // After the answer is queued: a slot bounds what a peer holds until it is answered.
            if (service.TakesSlot) background.End();
        }
    }

    private async Task<IServiceResponse> ActivateAsync(ActivateSessionRequest request, ServerSecureChannel channel) =>
        await _sessionService.ActivateAsync(request, channel, _stopping).ConfigureAwait(false);

    /// <summary>
    /// The request's session, activated and bound to this channel (BadSessionIdInvalid, BadSessionNotActivated,
    /// BadSecureChannelIdInvalid otherwise), when its role grants the service's permission; BadUserAccessDenied otherwise.
    /// </summary>
    private Session ActivatedSession(ServiceEntry service, IServiceRequest request, uint channelId)
    {
        var session = _sessions.ForRequest(request.RequestHeader.AuthenticationToken, channelId);
        if (session.Identity.May(service.Permission)) return session;
        var identity = session.Identity;
        _denied(new AccessDenied(service.Name, identity.UserName, identity.Role, StatusCodes.BadUserAccessDenied, $"role '{identity.Role}' lacks the {service.Permission} permission"));
        throw new OpcUaException(StatusCodes.BadUserAccessDenied, $"{service.Name} needs the {service.Permission} permission");
    }

    private ReadResponse Read(ReadRequest request, Session session, DateTime now)
    {
        var response = _attributes.Read(request, session.Identity, now);
        ReportRefused("Read", session.Identity, UserPermissions.Read, request.NodesToRead!, n => n.NodeId, response.Results!, r => r.Status);
        return response;
    }

    private WriteResponse Write(WriteRequest request, Session session)
    {
        var response = _writes.Write(request, session.Identity);
        ReportRefused("Write", session.Identity, UserPermissions.Write, request.NodesToWrite!, n => n.NodeId, response.Results!, r => r);
        return response;
    }

    private HistoryReadResponse HistoryRead(HistoryReadRequest request, Session session, long maxResponseBytes)
    {
        var response = _history.Read(request, session, maxResponseBytes);
        ReportRefused("HistoryRead", session.Identity, UserPermissions.HistoryRead, request.NodesToRead!, n => n.NodeId, response.Results!, r => r.StatusCode);
        return response;
    }

    /// <summary>A subscription when the server has room for one more (all sessions together); BadTooManySubscriptions otherwise.</summary>
    private CreateSubscriptionResponse CreateSubscription(CreateSubscriptionRequest request, Session session) =>
        _subscriptions.SubscriptionCount < _options.MaxSubscriptions
            ? _subscriptions.Create(request, session)
            : throw new OpcUaException(StatusCodes.BadTooManySubscriptions, $"the server serves at most {_options.MaxSubscriptions} subscriptions");

    private CallResponse Call(CallRequest request, Session session)
    {
        var response = _methods.Call(request, session);
        var needed = request.MethodsToCall!.Where((_, i) => response.Results![i].StatusCode.Code == StatusCodes.BadUserAccessDenied).Aggregate(UserPermissions.None, (all, m) => all | _methods.PermissionOf(m.MethodId));
        ReportRefused("Call", session.Identity, needed, request.MethodsToCall!, n => n.MethodId, response.Results!, r => r.StatusCode);
        return response;
    }

    private CreateMonitoredItemsResponse CreateItems(CreateMonitoredItemsRequest request, Session session)
    {
        if ((long)_subscriptions.MonitoredItemCount + (request.ItemsToCreate?.Length ?? 0) > _options.MaxMonitoredItems)
        {
            throw new OpcUaException(StatusCodes.BadTooManyMonitoredItems, $"the server serves at most {_options.MaxMonitoredItems} monitored items");
        }
        var response = _subscriptions.CreateItems(request, session);
        ReportRefused("CreateMonitoredItems", session.Identity, UserPermissions.Read, request.ItemsToCreate!, n => n.ItemToMonitor.NodeId, response.Results!, r => r.StatusCode);
        return response;
    }

    private TransferSubscriptionsResponse Transfer(TransferSubscriptionsRequest request, Session session)
    {
        var identity = session.Identity;
        var response = _subscriptions.Transfer(request, session);
        var refused = request.SubscriptionIds!.Where((_, i) => response.Results![i].StatusCode.Code == StatusCodes.BadUserAccessDenied).ToArray();
        if (refused.Length > 0)
        {
            _denied(new AccessDenied("TransferSubscriptions", identity.UserName, identity.Role, StatusCodes.BadUserAccessDenied, $"subscriptions {string.Join(", ", refused)} belong to another user"));
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
        _denied(new AccessDenied(service, identity.UserName, identity.Role, StatusCodes.BadUserAccessDenied, reason, refused));
    }

    private static UnregisterNodesResponse Unregistered(UnregisterNodesRequest request) =>
        request.NodesToUnregister is { Length: > 0 } ? new UnregisterNodesResponse() : throw new OpcUaException(StatusCodes.BadNothingToDo, "no nodes to unregister");

    private ServiceFault Fault(RequestHeader? request, StatusCode status) => Fault(request, status, _time.GetUtcNow().UtcDateTime);

    private static ServiceFault Fault(RequestHeader? request, StatusCode status, DateTime now) => new() { ResponseHeader = Header(request, status, now) };

    private ResponseHeader Header(RequestHeader? request, StatusCode status) => Header(request, status, _time.GetUtcNow().UtcDateTime);

    private static ResponseHeader Header(RequestHeader? request, StatusCode status, DateTime now) => new()
    {
        Timestamp = now,
        RequestHandle = request?.RequestHandle ?? 0,
        ServiceResult = status,
    };
}
