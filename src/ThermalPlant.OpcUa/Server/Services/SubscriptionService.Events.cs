using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Events;
using ThermalPlant.OpcUa.Server.Sessions;
using ThermalPlant.OpcUa.Server.Subscriptions;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Services;

/// <summary>
/// Monitored items on an Object's EventNotifier (Part 4, 5.12.1.4): they take an EventFilter, checked clause by
/// clause (<see cref="CompiledEventFilter"/>), and queue the selected fields of each event that passes it. A bad filter
/// answers BadEventFilterInvalid with an EventFilterResult saying which clause failed, and creates nothing.
/// </summary>
internal sealed partial class SubscriptionService
{
    /// <summary>The queue size an event item gets when it asks for the server's default (0).</summary>
    public const uint DefaultEventQueueSize = 1000;

    /// <summary>Whether subscription <paramref name="id"/> exists and belongs to <paramref name="session"/>.</summary>
    public bool IsOwnedBy(uint id, Session session) => TryGet(id, session, out _);

    private MonitoredItemCreateResult CreateEventItem(Subscription subscription, MonitoredItemCreateRequest request, UaNode node)
    {
        static MonitoredItemCreateResult Failed(uint status, EventFilterResult? result = null) =>
            new() { StatusCode = status, FilterResult = result is null ? ExtensionObject.Null : ExtensionObject.From(result) };
        if (node.NodeClass != NodeClass.Object) return Failed(StatusCodes.BadAttributeIdInvalid);
        if (!EventManager.IsNotifier(node)) return Failed(StatusCodes.BadNotSupported);
        var parameters = request.RequestedParameters;
        var status = Compile(parameters.Filter, out var filter, out var result);
        if (status.IsBad) return Failed(status.Code, status.Code == StatusCodes.BadEventFilterInvalid ? result : null);
        var item = new MonitoredItem((uint)Interlocked.Increment(ref _nextItemId), node, request.ItemToMonitor, TimestampsToReturn.Neither)
        {
            Mode = request.MonitoringMode,
            Events = new EventQueue(filter!),
        };
        ApplyEventParameters(item, parameters);
        item.Events.Registration = events.Subscribe(node.NodeId, subscription.Id, e => subscription.OnEvent(item, e));
        subscription.Add(item, default);
        return new MonitoredItemCreateResult
        {
            StatusCode = StatusCode.Good,
            MonitoredItemId = item.Id,
            RevisedSamplingInterval = 0,
            RevisedQueueSize = item.QueueSize,
            FilterResult = Reported(result),
        };
    }

    private MonitoredItemModifyResult ModifyEventItem(MonitoredItem item, MonitoringParameters parameters)
    {
        EventFilterResult? result = null;
        // A modification without a filter keeps the item's filter and changes only its queue and handle.
        if (parameters.Filter.Encoding != ExtensionObjectEncoding.None)
        {
            var status = Compile(parameters.Filter, out var filter, out result);
            if (status.IsBad) return new MonitoredItemModifyResult { StatusCode = status, RevisedQueueSize = item.QueueSize, FilterResult = status.Code == StatusCodes.BadEventFilterInvalid ? ExtensionObject.From(result) : ExtensionObject.Null };
            item.Events!.Filter = filter!;
        }
        ApplyEventParameters(item, parameters);
        item.TrimQueue();
        return new MonitoredItemModifyResult { StatusCode = StatusCode.Good, RevisedSamplingInterval = 0, RevisedQueueSize = item.QueueSize, FilterResult = Reported(result) };
    }

    private void ApplyEventParameters(MonitoredItem item, MonitoringParameters parameters)
    {
        item.ClientHandle = parameters.ClientHandle;
        item.SamplingInterval = TimeSpan.Zero;
        item.QueueSize = Math.Min(parameters.QueueSize == 0 ? DefaultEventQueueSize : parameters.QueueSize, options.MaxQueueSize);
        item.DiscardOldest = parameters.DiscardOldest;
    }

    private StatusCode Compile(ExtensionObject body, out CompiledEventFilter? filter, out EventFilterResult result)
    {
        filter = null;
        result = new EventFilterResult();
        IEncodeable? decoded;
        try
        {
            decoded = body.Decode();
        }
        catch (OpcUaException)
        {
            return StatusCodes.BadMonitoredItemFilterInvalid;
        }
        return decoded switch
        {
            EventFilter eventFilter => events.Filters.Compile(body.Body.Span, eventFilter, out filter, out result),
            null when body.Encoding == ExtensionObjectEncoding.None => StatusCodes.BadMonitoredItemFilterInvalid,
            DataChangeFilter or AggregateFilter => StatusCodes.BadFilterNotAllowed,
            _ => StatusCodes.BadMonitoredItemFilterUnsupported,
        };
    }

    /// <summary>The filter result to send back: only when a select clause was refused, so that a good filter costs nothing.</summary>
    private static ExtensionObject Reported(EventFilterResult? result) =>
        result is { SelectClauseResults.Length: > 0 } ? ExtensionObject.From(result) : ExtensionObject.Null;
}
