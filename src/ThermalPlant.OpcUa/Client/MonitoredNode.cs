using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Client;

/// <summary>What to monitor and how: the node's Value by default, sampled at the publishing interval, queue of 10.</summary>
/// <param name="Node">The node.</param>
public sealed record MonitoredItemRequest(NodeId Node)
{
    /// <summary>The attribute; Value by default.</summary>
    public AttributeId Attribute { get; init; } = AttributeId.Value;

    /// <summary>Sampling interval in ms; negative for the subscription's publishing interval.</summary>
    public double SamplingInterval { get; init; } = -1;

    /// <summary>Values the server queues between publishes.</summary>
    public uint QueueSize { get; init; } = 10;

    /// <summary>Whether a full queue drops its oldest value (else its newest).</summary>
    public bool DiscardOldest { get; init; } = true;

    /// <summary>What counts as a change.</summary>
    public DataChangeTrigger Trigger { get; init; } = DataChangeTrigger.StatusValue;

    /// <summary>No deadband, absolute (in the value's units) or percent (of the variable's EURange).</summary>
    public DeadbandType DeadbandType { get; init; } = DeadbandType.None;

    /// <summary>The deadband's size.</summary>
    public double Deadband { get; init; }

    /// <summary>
    /// For an item on an Object's EventNotifier: the select and where clauses (see <see cref="EventFilters"/>); the
    /// item then reports events (<see cref="OpcUaSubscription.ReadEventsAsync"/>) and <see cref="Attribute"/> is ignored.
    /// </summary>
    public EventFilter? EventFilter { get; init; }

    /// <summary>Events of <paramref name="notifier"/> (the Server object for all) that pass <paramref name="filter"/>, queue of 1000.</summary>
    public static MonitoredItemRequest Events(NodeId notifier, EventFilter filter) => new(notifier) { EventFilter = filter, QueueSize = 1000, SamplingInterval = 0 };
}

/// <summary>A monitored item as the server accepted it.</summary>
public sealed class MonitoredNode
{
    internal MonitoredNode(MonitoredItemRequest request, uint clientHandle)
    {
        Request = request;
        ClientHandle = clientHandle;
    }

    /// <summary>What was asked for.</summary>
    public MonitoredItemRequest Request { get; }

    /// <summary>The node monitored.</summary>
    public NodeId Node => Request.Node;

    /// <summary>The handle notifications carry.</summary>
    public uint ClientHandle { get; }

    /// <summary>The server's id of the item; it changes when the item had to be re-created after a reconnection.</summary>
    public uint ServerId { get; internal set; }

    /// <summary>The result of creating the item; Bad when the server refused it.</summary>
    public StatusCode Status { get; internal set; }

    /// <summary>The sampling interval the server granted, in ms.</summary>
    public double RevisedSamplingInterval { get; internal set; }

    /// <summary>The queue size the server granted.</summary>
    public uint RevisedQueueSize { get; internal set; }

    /// <summary>For an event item: which select and where clauses the server refused, when it refused any.</summary>
    public EventFilterResult? EventFilterResult { get; internal set; }

    /// <summary>The source timestamp of the last value received, where a back-fill after a gap starts.</summary>
    public DateTime? LastSourceTimestamp { get; internal set; }

    /// <summary>Set when values may have been lost; the next data change reports it and clears it.</summary>
    internal bool GapPending { get; set; }
}

/// <summary>A value of a monitored item.</summary>
/// <param name="Item">The item.</param>
/// <param name="Value">The value with its status and timestamps.</param>
/// <param name="GapBefore">
/// True when values may have been lost before this one (a reconnection that could not recover the server's queued
/// messages); values after <see cref="MonitoredNode.LastSourceTimestamp"/> as it was before this one can be read
/// from history.
/// </param>
/// <param name="GapStart">The source timestamp of the last value before the gap, when known.</param>
public sealed record DataChange(MonitoredNode Item, DataValue Value, bool GapBefore, DateTime? GapStart);

/// <summary>An event of an event item.</summary>
/// <param name="Item">The item.</param>
/// <param name="Fields">The selected fields, in the order of the item's select clauses (Null where the event has none).</param>
public sealed record EventNotification(MonitoredNode Item, Variant[] Fields);
