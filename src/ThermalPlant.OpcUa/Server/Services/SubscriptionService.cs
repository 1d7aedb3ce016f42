using System.Collections.Concurrent;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Events;
using ThermalPlant.OpcUa.Server.Sessions;
using ThermalPlant.OpcUa.Server.Subscriptions;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Services;

/// <summary>
/// The Subscription and MonitoredItem service sets (Part 4, 5.12 and 5.13): subscriptions with their limits,
/// Publish parked per session and answered by the subscriptions, Republish, TransferSubscriptions, and monitored
/// items with sampling intervals, queues, data change filters (deadbands with EURange), modes and triggering.
/// Items on an EventNotifier take an EventFilter (SubscriptionService.Events.cs).
/// </summary>
internal sealed partial class SubscriptionService(UaAddressSpace space, AttributeService attributes, EventManager events, OpcUaServerOptions options, TimeProvider time, Action<SubscriptionFailed> failed)
{
    private readonly ConcurrentDictionary<uint, Subscription> _subscriptions = new();
    private readonly PublishingScheduler _scheduler = new(time);
    private int _nextSubscriptionId;
    private int _nextItemId;

    public int SubscriptionCount => _subscriptions.Count;

    public int MonitoredItemCount
    {
        get
        {
            var count = 0;
            foreach (var (_, subscription) in _subscriptions) count += subscription.ItemCount;
            return count;
        }
    }

    public CreateSubscriptionResponse Create(CreateSubscriptionRequest request, Session session)
    {
        if (Owned(session).Count >= options.MaxSubscriptionsPerSession) throw new OpcUaException(StatusCodes.BadTooManySubscriptions, $"at most {options.MaxSubscriptionsPerSession} subscriptions per session");
        var id = (uint)Interlocked.Increment(ref _nextSubscriptionId);
        var subscription = new Subscription(id, session, time, _scheduler, options.MaxRetransmissionQueue, options.MaxNotificationsPerPublish, Expire, Fail)
        {
            MaxNotificationsPerPublish = request.MaxNotificationsPerPublish,
            Priority = request.Priority,
            PublishingEnabled = request.PublishingEnabled,
        };
        var (interval, lifetime, keepAlive) = Revise(request.RequestedPublishingInterval, request.RequestedLifetimeCount, request.RequestedMaxKeepAliveCount);
        _subscriptions[id] = subscription;
        Attach(subscription, session);
        subscription.Configure(interval, lifetime, keepAlive);
        return new CreateSubscriptionResponse { SubscriptionId = id, RevisedPublishingInterval = interval.TotalMilliseconds, RevisedLifetimeCount = lifetime, RevisedMaxKeepAliveCount = keepAlive };
    }

    public ModifySubscriptionResponse Modify(ModifySubscriptionRequest request, Session session)
    {
        var subscription = Get(request.SubscriptionId, session);
        var (interval, lifetime, keepAlive) = Revise(request.RequestedPublishingInterval, request.RequestedLifetimeCount, request.RequestedMaxKeepAliveCount);
        lock (subscription.Gate)
        {
            subscription.MaxNotificationsPerPublish = request.MaxNotificationsPerPublish;
            subscription.Priority = request.Priority;
        }
        subscription.Configure(interval, lifetime, keepAlive);
        return new ModifySubscriptionResponse { RevisedPublishingInterval = interval.TotalMilliseconds, RevisedLifetimeCount = lifetime, RevisedMaxKeepAliveCount = keepAlive };
    }

    public SetPublishingModeResponse SetPublishingMode(SetPublishingModeRequest request, Session session)
    {
        var ids = NotEmpty(request.SubscriptionIds);
        var results = new StatusCode[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            if (!TryGet(ids[i], session, out var subscription))
            {
                results[i] = StatusCodes.BadSubscriptionIdInvalid;
                continue;
            }
            lock (subscription.Gate) subscription.PublishingEnabled = request.PublishingEnabled;
        }
        return new SetPublishingModeResponse { Results = results, DiagnosticInfos = [] };
    }

    public DeleteSubscriptionsResponse Delete(DeleteSubscriptionsRequest request, Session session)
    {
        var ids = NotEmpty(request.SubscriptionIds);
        var results = new StatusCode[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            results[i] = TryGet(ids[i], session, out var subscription) ? Remove(subscription) : StatusCodes.BadSubscriptionIdInvalid;
        }
        if (Owned(session).Count == 0) session.PublishRequests.FaultAll(StatusCodes.BadNoSubscription);
        return new DeleteSubscriptionsResponse { Results = results, DiagnosticInfos = [] };
    }

    public TransferSubscriptionsResponse Transfer(TransferSubscriptionsRequest request, Session session)
    {
        var ids = NotEmpty(request.SubscriptionIds);
        var results = new TransferResult[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            if (!_subscriptions.TryGetValue(ids[i], out var subscription))
            {
                results[i] = new TransferResult { StatusCode = StatusCodes.BadSubscriptionIdInvalid, AvailableSequenceNumbers = [] };
                continue;
            }
            Session previous;
            lock (subscription.Gate)
            {
                previous = subscription.Session;
                // Part 4, 5.13.7: a subscription moves only to a session acting for the same user.
                if (!previous.Identity.IsSameUser(session.Identity))
                {
                    results[i] = new TransferResult { StatusCode = StatusCodes.BadUserAccessDenied, AvailableSequenceNumbers = [] };
                    continue;
                }
                subscription.Session = session;
                if (!ReferenceEquals(previous, session))
                {
                    Detach(subscription, previous);
                    Attach(subscription, session);
                }
                if (request.SendInitialValues) subscription.QueueCurrentValues(item => Current(item, session.Identity));
            }
            if (!ReferenceEquals(previous, session)) subscription.SendStatusChange(previous, StatusCodes.GoodSubscriptionTransferred);
            results[i] = new TransferResult { StatusCode = StatusCode.Good, AvailableSequenceNumbers = subscription.AvailableSequenceNumbers() };
        }
        return new TransferSubscriptionsResponse { Results = results, DiagnosticInfos = [] };
    }

    /// <summary>Parks a Publish request for the subscriptions to answer; BadNoSubscription when the session has none.</summary>
    public void Publish(PublishRequest request, Session session, uint requestId, IResponder responder)
    {
        var acknowledgements = request.SubscriptionAcknowledgements ?? [];
        var results = new StatusCode[acknowledgements.Length];
        for (var i = 0; i < acknowledgements.Length; i++)
        {
            results[i] = TryGet(acknowledgements[i].SubscriptionId, session, out var subscription)
                ? subscription.Acknowledge(acknowledgements[i].SequenceNumber)
                : StatusCodes.BadSubscriptionIdInvalid;
        }
        // The usual session has one subscription: it is taken without a copy of the session's list.
        Subscription? only = null;
        List<Subscription>? owned = null;
        lock (session.Subscriptions)
        {
            if (session.Subscriptions.Count == 1) only = session.Subscriptions[0];
            else if (session.Subscriptions.Count > 1) owned = [.. session.Subscriptions];
        }
        if (only is null && owned is null) throw new OpcUaException(StatusCodes.BadNoSubscription, "the session has no subscription");
        var hint = request.RequestHeader.TimeoutHint;
        var deadline = hint == 0 ? DateTimeOffset.MaxValue : time.GetUtcNow().AddMilliseconds(hint);
        session.PublishRequests.Add(new PendingPublish(request, requestId, responder, deadline, results));
        if (only is not null)
        {
            only.OnPublishRequest();
            return;
        }
        owned!.Sort((a, b) => b.Priority.CompareTo(a.Priority));
        foreach (var subscription in owned) subscription.OnPublishRequest();
    }

    public RepublishResponse Republish(RepublishRequest request, Session session)
    {
        var subscription = Get(request.SubscriptionId, session);
        var message = subscription.Find(request.RetransmitSequenceNumber)
            ?? throw new OpcUaException(StatusCodes.BadMessageNotAvailable, $"message {request.RetransmitSequenceNumber} is no longer available");
        return new RepublishResponse { NotificationMessage = message };
    }

    public CreateMonitoredItemsResponse CreateItems(CreateMonitoredItemsRequest request, Session session)
    {
        var subscription = Get(request.SubscriptionId, session);
        CheckTimestamps(request.TimestampsToReturn);
        var items = request.ItemsToCreate ?? [];
        if (items.Length == 0) throw new OpcUaException(StatusCodes.BadNothingToDo, "no items to create");
        if (items.Length > options.MaxNodesPerOperation) throw new OpcUaException(StatusCodes.BadTooManyOperations, $"at most {options.MaxNodesPerOperation} items per call");
        var results = new MonitoredItemCreateResult[items.Length];
        lock (subscription.Gate)
        {
            for (var i = 0; i < items.Length; i++)
            {
                results[i] = CreateItem(subscription, items[i], request.TimestampsToReturn, session.Identity);
            }
        }
        return new CreateMonitoredItemsResponse { Results = results, DiagnosticInfos = [] };
    }

    public ModifyMonitoredItemsResponse ModifyItems(ModifyMonitoredItemsRequest request, Session session)
    {
        var subscription = Get(request.SubscriptionId, session);
        CheckTimestamps(request.TimestampsToReturn);
        var items = request.ItemsToModify ?? [];
        if (items.Length == 0) throw new OpcUaException(StatusCodes.BadNothingToDo, "no items to modify");
        var results = new MonitoredItemModifyResult[items.Length];
        lock (subscription.Gate)
        {
            for (var i = 0; i < items.Length; i++)
            {
                if (!subscription.TryGetItem(items[i].MonitoredItemId, out var item))
                {
                    results[i] = new MonitoredItemModifyResult { StatusCode = StatusCodes.BadMonitoredItemIdInvalid, FilterResult = ExtensionObject.Null };
                    continue;
                }
                if (item.Events is not null)
                {
                    results[i] = ModifyEventItem(item, items[i].RequestedParameters);
                    continue;
                }
                var status = Apply(item, items[i].RequestedParameters, subscription.PublishingInterval);
                if (status.IsGood)
                {
                    item.Timestamps = request.TimestampsToReturn;
                    item.TrimQueue();
                }
                results[i] = new MonitoredItemModifyResult { StatusCode = status, RevisedSamplingInterval = item.SamplingInterval.TotalMilliseconds, RevisedQueueSize = item.QueueSize, FilterResult = ExtensionObject.Null };
            }
        }
        return new ModifyMonitoredItemsResponse { Results = results, DiagnosticInfos = [] };
    }

    public DeleteMonitoredItemsResponse DeleteItems(DeleteMonitoredItemsRequest request, Session session)
    {
        var subscription = Get(request.SubscriptionId, session);
        var ids = NotEmpty(request.MonitoredItemIds);
        var results = new StatusCode[ids.Length];
        lock (subscription.Gate)
        {
            for (var i = 0; i < ids.Length; i++) results[i] = subscription.Remove(ids[i]) ? StatusCode.Good : StatusCodes.BadMonitoredItemIdInvalid;
        }
        return new DeleteMonitoredItemsResponse { Results = results, DiagnosticInfos = [] };
    }

    public SetMonitoringModeResponse SetMonitoringMode(SetMonitoringModeRequest request, Session session)
    {
        var subscription = Get(request.SubscriptionId, session);
        if (request.MonitoringMode is < MonitoringMode.Disabled or > MonitoringMode.Reporting) throw new OpcUaException(StatusCodes.BadMonitoringModeInvalid, "unknown monitoring mode");
        var ids = NotEmpty(request.MonitoredItemIds);
        var results = new StatusCode[ids.Length];
        lock (subscription.Gate)
        {
            for (var i = 0; i < ids.Length; i++)
            {
                if (!subscription.TryGetItem(ids[i], out var item))
                {
                    results[i] = StatusCodes.BadMonitoredItemIdInvalid;
                    continue;
                }
                var wasDisabled = item.Mode == MonitoringMode.Disabled;
                item.Mode = request.MonitoringMode;
                if (item.Mode == MonitoringMode.Disabled) item.ClearQueue();
                else if (wasDisabled && item.Events is null) item.QueueCurrent(Current(item, session.Identity), time.GetUtcNow());
                subscription.MarkActive(item);
            }
        }
        return new SetMonitoringModeResponse { Results = results, DiagnosticInfos = [] };
    }

    public SetTriggeringResponse SetTriggering(SetTriggeringRequest request, Session session)
    {
        var subscription = Get(request.SubscriptionId, session);
        var add = request.LinksToAdd ?? [];
        var remove = request.LinksToRemove ?? [];
        if (add.Length == 0 && remove.Length == 0) throw new OpcUaException(StatusCodes.BadNothingToDo, "no links to add or remove");
        lock (subscription.Gate)
        {
            if (!subscription.TryGetItem(request.TriggeringItemId, out var trigger)) throw new OpcUaException(StatusCodes.BadMonitoredItemIdInvalid, "unknown triggering item");
            var removeResults = new StatusCode[remove.Length];
            for (var i = 0; i < remove.Length; i++) removeResults[i] = trigger.TriggeredItems.Remove(remove[i]) ? StatusCode.Good : StatusCodes.BadMonitoredItemIdInvalid;
            var addResults = new StatusCode[add.Length];
            for (var i = 0; i < add.Length; i++)
            {
                addResults[i] = subscription.TryGetItem(add[i], out _) ? StatusCode.Good : StatusCodes.BadMonitoredItemIdInvalid;
                if (!addResults[i].IsGood) continue;
                trigger.TriggeredItems.Add(add[i]);
                subscription.HasTriggers = true;
            }
            return new SetTriggeringResponse { AddResults = addResults, AddDiagnosticInfos = [], RemoveResults = removeResults, RemoveDiagnosticInfos = [] };
        }
    }

    /// <summary>A closing session takes its subscriptions with it when the client asks so.</summary>
    /// <summary>
    /// The session now acts for <paramref name="identity"/>: when that role may not read or subscribe, the session's
    /// subscriptions are deleted (and its parked Publish requests answered BadNoSubscription), so that a session demoted
    /// by re-activation stops receiving values it could no longer ask for; returns how many were deleted.
    /// </summary>
    public int OnIdentityChanged(Session session, UserIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        if (identity.May(UserPermissions.Read | UserPermissions.Subscribe)) return 0;
        var owned = Owned(session);
        foreach (var subscription in owned) Remove(subscription);
        if (owned.Count > 0) session.PublishRequests.FaultAll(StatusCodes.BadNoSubscription);
        return owned.Count;
    }

    public void OnSessionClosed(Session session, bool deleteSubscriptions)
    {
        session.PublishRequests.FaultAll(StatusCodes.BadSessionClosed);
        if (!deleteSubscriptions) return;
        foreach (var subscription in Owned(session)) Remove(subscription);
    }

    private MonitoredItemCreateResult CreateItem(Subscription subscription, MonitoredItemCreateRequest request, TimestampsToReturn timestamps, UserIdentity identity)
    {
        static MonitoredItemCreateResult Failed(uint status) => new() { StatusCode = status, FilterResult = ExtensionObject.Null };
        if (subscription.ItemCount >= options.MaxMonitoredItemsPerSubscription) return Failed(StatusCodes.BadTooManyMonitoredItems);
        var target = request.ItemToMonitor;
        var node = space.Find(target.NodeId);
        if (node is null) return Failed(StatusCodes.BadNodeIdUnknown);
        if (request.MonitoringMode is < MonitoringMode.Disabled or > MonitoringMode.Reporting) return Failed(StatusCodes.BadMonitoringModeInvalid);
        var attribute = (AttributeId)target.AttributeId;
        if (attribute == AttributeId.EventNotifier) return CreateEventItem(subscription, request, node);
        var initial = attributes.ReadOne(target, TimestampsToReturn.Both, identity);
        if (initial.Status.Code is StatusCodes.BadAttributeIdInvalid or StatusCodes.BadNotReadable or StatusCodes.BadUserAccessDenied or StatusCodes.BadIndexRangeInvalid or StatusCodes.BadDataEncodingUnsupported) return Failed(initial.Status.Code);
        if (attribute == AttributeId.Value && target.IndexRange is { Length: > 0 }) return Failed(StatusCodes.BadIndexRangeInvalid);
        // The item keeps the node and the attribute, not the request's decoded ReadValueId (a string id each, for as long as it lives).
        var item = new MonitoredItem((uint)Interlocked.Increment(ref _nextItemId), node, target, timestamps) { Mode = request.MonitoringMode };
        var status = Apply(item, request.RequestedParameters, subscription.PublishingInterval);
        if (status.IsBad) return Failed(status.Code);
        subscription.Add(item, initial);
        return new MonitoredItemCreateResult
        {
            StatusCode = StatusCode.Good,
            MonitoredItemId = item.Id,
            RevisedSamplingInterval = item.SamplingInterval.TotalMilliseconds,
            RevisedQueueSize = item.QueueSize,
            FilterResult = ExtensionObject.Null,
        };
    }

    /// <summary>Revises and applies monitoring parameters; a refused filter leaves the item unchanged.</summary>
    private StatusCode Apply(MonitoredItem item, MonitoringParameters parameters, TimeSpan publishingInterval)
    {
        var trigger = DataChangeTrigger.StatusValue;
        var deadband = 0.0;
        if (parameters.Filter.Encoding != ExtensionObjectEncoding.None)
        {
            IEncodeable? filter;
            try
            {
                filter = parameters.Filter.Decode();
            }
            catch (OpcUaException)
            {
                return StatusCodes.BadMonitoredItemFilterInvalid;
            }
            switch (filter)
            {
                case DataChangeFilter change:
                    if (item.AttributeId != (uint)AttributeId.Value) return StatusCodes.BadFilterNotAllowed;
                    if (change.Trigger is < DataChangeTrigger.Status or > DataChangeTrigger.StatusValueTimestamp) return StatusCodes.BadMonitoredItemFilterInvalid;
                    var deadbandResult = Deadband(item.Node as UaVariable, change, out deadband);
                    if (deadbandResult.IsBad) return deadbandResult;
                    trigger = change.Trigger;
                    break;
                default:
                    return StatusCodes.BadMonitoredItemFilterUnsupported;
            }
        }
        item.ClientHandle = parameters.ClientHandle;
        item.Trigger = trigger;
        item.Deadband = deadband;
        item.SamplingInterval = ReviseSampling(item.Node as UaVariable, parameters.SamplingInterval, publishingInterval);
        item.QueueSize = parameters.QueueSize == 0 ? 1 : Math.Min(parameters.QueueSize, options.MaxQueueSize);
        item.DiscardOldest = parameters.DiscardOldest;
        return StatusCode.Good;
    }

    private StatusCode Deadband(UaVariable? variable, DataChangeFilter filter, out double deadband)
    {
        deadband = 0;
        switch ((DeadbandType)filter.DeadbandType)
        {
            case DeadbandType.None:
                return StatusCode.Good;
            case DeadbandType.Absolute:
            case DeadbandType.Percent:
                if (variable is null || variable.DataType.NamespaceIndex != 0 || !Numeric.IsNumericType(variable.DataType.Numeric)) return StatusCodes.BadFilterNotAllowed;
                if (!double.IsFinite(filter.DeadbandValue) || filter.DeadbandValue < 0) return StatusCodes.BadDeadbandFilterInvalid;
                if ((DeadbandType)filter.DeadbandType == DeadbandType.Absolute)
                {
                    deadband = filter.DeadbandValue;
                    return StatusCode.Good;
                }
                if (filter.DeadbandValue > 100) return StatusCodes.BadDeadbandFilterInvalid;
                if (EuRange(variable) is not { } range) return StatusCodes.BadMonitoredItemFilterUnsupported;
                // Part 8, 6.2: a percent deadband is a share of the EURange's span.
                deadband = filter.DeadbandValue / 100.0 * Math.Abs(range.High - range.Low);
                return StatusCode.Good;
            default:
                return StatusCodes.BadDeadbandFilterInvalid;
        }
    }

    private Generated.Range? EuRange(UaVariable variable)
    {
        foreach (var reference in variable.References)
        {
            if (!reference.IsForward || reference.ReferenceTypeId != NodeId.Of(ReferenceTypeIds.HasProperty)) continue;
            if (space.Find(reference.TargetId) is UaVariable { BrowseName.Name: "EURange" } property
                && property.Value.Value.Value is ExtensionObject body
                && body.Decode() is Generated.Range range)
            {
                return range;
            }
        }
        return null;
    }

    private TimeSpan ReviseSampling(UaVariable? variable, double requestedMs, TimeSpan publishingInterval)
    {
        // -1 (or any negative) asks for the publishing interval (Part 4, 7.21).
        var requested = requestedMs < 0 || double.IsNaN(requestedMs) ? publishingInterval : TimeSpan.FromMilliseconds(Math.Min(requestedMs, options.MaxPublishingInterval.TotalMilliseconds));
        var minimum = TimeSpan.FromMilliseconds(variable?.MinimumSamplingInterval ?? 0);
        return requested < minimum ? minimum : requested;
    }

    private (TimeSpan Interval, uint Lifetime, uint KeepAlive) Revise(double intervalMs, uint lifetime, uint keepAlive)
    {
        var interval = double.IsFinite(intervalMs) && intervalMs > 0 ? TimeSpan.FromMilliseconds(intervalMs) : options.MinPublishingInterval;
        if (interval < options.MinPublishingInterval) interval = options.MinPublishingInterval;
        if (interval > options.MaxPublishingInterval) interval = options.MaxPublishingInterval;
        keepAlive = Math.Clamp(keepAlive == 0 ? 10u : keepAlive, 1u, 10_000u);
        // The lifetime is at least three keep-alive periods (Part 4, 5.13.2.2).
        lifetime = Math.Clamp(lifetime == 0 ? 3 * keepAlive : lifetime, 3 * keepAlive, 300_000u);
        return (interval, lifetime, keepAlive);
    }

    private DataValue Current(MonitoredItem item, UserIdentity identity) => attributes.ReadOne(item.ItemToMonitor, TimestampsToReturn.Both, identity);

    private void Expire(Subscription subscription)
    {
        if (!_subscriptions.TryRemove(subscription.Id, out _)) return;
        Detach(subscription, subscription.Session);
        subscription.Dispose();
    }

    /// <summary>
    /// A publishing cycle threw: the subscription is deleted, its client told with a StatusChangeNotification
    /// (BadInternalError) on a parked Publish request, and the failure reported for the host's log.
    /// </summary>
    private void Fail(Subscription subscription, Exception exception)
    {
        var session = subscription.Session;
        if (_subscriptions.TryRemove(subscription.Id, out _))
        {
            Detach(subscription, session);
            subscription.SendStatusChange(session, StatusCodes.BadInternalError);
            subscription.Dispose();
        }
        if (Owned(session).Count == 0) session.PublishRequests.FaultAll(StatusCodes.BadNoSubscription);
        failed(new SubscriptionFailed(subscription.Id, exception));
    }

    private StatusCode Remove(Subscription subscription)
    {
        if (!_subscriptions.TryRemove(subscription.Id, out _)) return StatusCodes.BadSubscriptionIdInvalid;
        Detach(subscription, subscription.Session);
        subscription.Dispose();
        return StatusCode.Good;
    }

    private static List<Subscription> Owned(Session session)
    {
        lock (session.Subscriptions) return [.. session.Subscriptions];
    }

    private static void Attach(Subscription subscription, Session session)
    {
        lock (session.Subscriptions) session.Subscriptions.Add(subscription);
    }

    private static void Detach(Subscription subscription, Session session)
    {
        lock (session.Subscriptions) session.Subscriptions.Remove(subscription);
    }

    private Subscription Get(uint id, Session session) =>
        TryGet(id, session, out var subscription) ? subscription : throw new OpcUaException(StatusCodes.BadSubscriptionIdInvalid, $"no subscription {id} in this session");

    private bool TryGet(uint id, Session session, out Subscription subscription) =>
        _subscriptions.TryGetValue(id, out subscription!) && ReferenceEquals(subscription.Session, session);

    private static uint[] NotEmpty(uint[]? ids) =>
        ids is { Length: > 0 } ? ids : throw new OpcUaException(StatusCodes.BadNothingToDo, "no ids given");

    private static void CheckTimestamps(TimestampsToReturn timestamps)
    {
        if (timestamps is < TimestampsToReturn.Source or > TimestampsToReturn.Neither) throw new OpcUaException(StatusCodes.BadTimestampsToReturnInvalid, "TimestampsToReturn is invalid");
    }
}
