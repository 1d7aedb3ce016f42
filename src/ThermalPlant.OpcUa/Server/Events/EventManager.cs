using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.History;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Events;

/// <summary>
/// Raises events and routes them to the monitored items subscribed to them (Part 3, 7.16 and Part 5, 11): an event
/// reaches the notifiers from its source node up the inverse HasEventSource and HasNotifier references (its
/// source itself when that is a notifier), and always the Server object. Every event raised is recorded in the
/// server's event history with the notifiers it reached, for HistoryRead of events. Thread-safe; a host raises from
/// any thread.
/// </summary>
public sealed class EventManager
{
    /// <summary>EventNotifier bit SubscribeToEvents.</summary>
    public const byte SubscribeToEvents = 0x01;

    /// <summary>EventNotifier bit HistoryRead.</summary>
    public const byte HistoryRead = 0x04;

    /// <summary>Most sources whose last route is kept.</summary>
    private const int MaxRoutes = 100_000;

    private static readonly NodeId ServerId = NodeId.Of(ObjectIds.Server);

    [ThreadStatic]
    private static RouteScratch? t_scratch;

    private readonly UaAddressSpace _space;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private volatile Dictionary<NodeId, Subscriber[]> _subscribers = [];

    // EventIds are this server's 8 random bytes, then a count: unique without a random draw per event, and unlike those
    // of an earlier run of the server (a client acknowledging with an id from before a restart gets BadEventIdUnknown).
    private readonly long _eventIdPrefix = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8));
    private long _eventCount;

    // The last route found per source: an event routed like the one before shares its notifier array with it, so the
    // history store keeps one array for all of them. A route is found anew for every event, since the address space
    // can change between two events.
    private readonly ConcurrentDictionary<NodeId, NodeId[]> _routes = new();

    internal EventManager(UaAddressSpace space, TimeProvider time, IEventHistoryStore history)
    {
        _space = space;
        _time = time;
        History = history;
        Types = new EventTypes(space);
        Filters = new EventFilterCache(Types);
        MakeNotifier(ServerId);
    }

    /// <summary>Where every event raised is recorded, for HistoryRead of events.</summary>
    public IEventHistoryStore History { get; }

    /// <summary>The event types known, to check filters and to add the host's own.</summary>
    public EventTypes Types { get; }

    /// <summary>The compiled filters of the monitored items, one per distinct filter.</summary>
    internal EventFilterCache Filters { get; }

    /// <summary>Raised after each event has been routed (with its EventId and ReceiveTime), for a host's event history.</summary>
    public event Action<UaEvent>? Raised;

    /// <summary>
    /// Makes the Object <paramref name="node"/> an event notifier clients may subscribe to; events whose source is
    /// it, or below it through HasEventSource / HasNotifier references, reach it. With <paramref name="history"/>
    /// (the default, since every event is recorded) its EventNotifier also says clients may read its event history.
    /// </summary>
    public void MakeNotifier(NodeId node, bool history = true)
    {
        var target = _space.Find(node) ?? throw new ArgumentException($"node {node} does not exist", nameof(node));
        if (target.NodeClass != NodeClass.Object) throw new ArgumentException($"node {node} is not an Object", nameof(node));
        target.EventNotifier = (byte)(SubscribeToEvents | (history ? HistoryRead : 0));
    }

    /// <summary>
    /// Makes the Object <paramref name="node"/> no event notifier any more: new event items on it are refused, and a
    /// client reading its EventNotifier looks for events elsewhere. Items made before keep their events.
    /// </summary>
    public void RemoveNotifier(NodeId node)
    {
        var target = _space.Find(node) ?? throw new ArgumentException($"node {node} does not exist", nameof(node));
        target.EventNotifier = 0;
    }

    /// <summary>
    /// Stamps <paramref name="e"/> with a new EventId and its ReceiveTime, delivers it to every subscriber of its
    /// notifiers and records it in <see cref="History"/>.
    /// </summary>
    public void Raise(UaEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Stamp(e);
        var subscribers = _subscribers;
        var notifiers = NotifiersOf(e.SourceNode);
        if (subscribers.Count > 0)
        {
            foreach (var notifier in notifiers)
            {
                if (!subscribers.TryGetValue(notifier, out var list)) continue;
                foreach (var subscriber in list) subscriber.Deliver(e);
            }
        }
        History.Append(e, notifiers);
        Raised?.Invoke(e);
    }

    /// <summary>
    /// Delivers <paramref name="e"/> only to the items of subscription <paramref name="subscriptionId"/> (ConditionRefresh):
    /// a new event (stamped) to every item, or a condition's last event again (as it was) to the items whose notifier it reaches.
    /// </summary>
    internal void RaiseTo(uint subscriptionId, UaEvent e, bool resend)
    {
        var subscribers = _subscribers;
        if (!resend)
        {
            Stamp(e);
            foreach (var (_, list) in subscribers) Deliver(list, subscriptionId, e);
            return;
        }
        foreach (var notifier in NotifiersOf(e.SourceNode))
        {
            if (subscribers.TryGetValue(notifier, out var list)) Deliver(list, subscriptionId, e);
        }
    }

    private static void Deliver(Subscriber[] list, uint subscriptionId, UaEvent e)
    {
        foreach (var subscriber in list)
        {
            if (subscriber.SubscriptionId == subscriptionId) subscriber.Deliver(e);
        }
    }

    /// <summary>Delivers the events of <paramref name="notifier"/> to <paramref name="deliver"/> until the result is disposed.</summary>
    internal IDisposable Subscribe(NodeId notifier, uint subscriptionId, Action<UaEvent> deliver)
    {
        var subscriber = new Subscriber(this, notifier, subscriptionId, deliver);
        lock (_lock)
        {
            // Copy on write: Raise reads the current table without a lock, and subscriptions change far less often than events come.
            var copy = new Dictionary<NodeId, Subscriber[]>(_subscribers);
            copy[notifier] = copy.TryGetValue(notifier, out var list) ? [.. list, subscriber] : [subscriber];
            _subscribers = copy;
        }
        return subscriber;
    }

    /// <summary>Whether <paramref name="node"/> is an Object clients may subscribe to for events.</summary>
    internal static bool IsNotifier(UaNode node) => node.NodeClass == NodeClass.Object && (node.EventNotifier & SubscribeToEvents) != 0;

    private void Stamp(UaEvent e)
    {
        var id = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(id, _eventIdPrefix);
        BinaryPrimitives.WriteInt64BigEndian(id.AsSpan(8), Interlocked.Increment(ref _eventCount));
        e.EventId = id;
        e.ReceiveTime = _time.GetUtcNow().UtcDateTime;
    }

    private void Unsubscribe(Subscriber subscriber)
    {
        lock (_lock)
        {
            if (!_subscribers.TryGetValue(subscriber.Notifier, out var list)) return;
            var copy = new Dictionary<NodeId, Subscriber[]>(_subscribers);
            var rest = list.Where(s => !ReferenceEquals(s, subscriber)).ToArray();
            if (rest.Length == 0) copy.Remove(subscriber.Notifier);
            else copy[subscriber.Notifier] = rest;
            _subscribers = copy;
        }
    }

    /// <summary>The notifiers an event of <paramref name="source"/> reaches, each once: the Server object last.</summary>
    private NodeId[] NotifiersOf(NodeId source)
    {
        var scratch = t_scratch ??= new RouteScratch();
        var (notifiers, seen, pending) = (scratch.Notifiers, scratch.Seen, scratch.Pending);
        notifiers.Clear();
        seen.Clear();
        pending.Clear();
        pending.Push(source);
        while (pending.Count > 0 && seen.Count < 1000)
        {
            var id = pending.Pop();
            if (!seen.Add(id) || _space.Find(id) is not { } node) continue;
            if (IsNotifier(node) && id != ServerId) notifiers.Add(id);
            foreach (var reference in node.References)
            {
                if (!reference.IsForward && reference.ReferenceTypeId.NamespaceIndex == 0
                    && reference.ReferenceTypeId.Numeric is ReferenceTypeIds.HasEventSource or ReferenceTypeIds.HasNotifier)
                {
                    pending.Push(reference.TargetId);
                }
            }
        }
        notifiers.Add(ServerId);
        if (_routes.TryGetValue(source, out var last) && last.AsSpan().SequenceEqual(CollectionsMarshal.AsSpan(notifiers))) return last;
        var route = notifiers.ToArray();
        // Bounded like a filter cache: a host raising from made-up sources cannot grow it without end.
        if (_routes.Count < MaxRoutes) _routes[source] = route;
        return route;
    }

    /// <summary>A thread's lists for finding a route, reused from event to event.</summary>
    private sealed class RouteScratch
    {
        public List<NodeId> Notifiers { get; } = [];

        public HashSet<NodeId> Seen { get; } = [];

        public Stack<NodeId> Pending { get; } = new();
    }

    private sealed class Subscriber(EventManager manager, NodeId notifier, uint subscriptionId, Action<UaEvent> deliver) : IDisposable
    {
        private int _disposed;

        public NodeId Notifier => notifier;

        public uint SubscriptionId => subscriptionId;

        public void Deliver(UaEvent e)
        {
            if (Volatile.Read(ref _disposed) == 0) deliver(e);
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) manager.Unsubscribe(this);
        }
    }
}
