using System.Collections.Concurrent;
using System.Threading.Channels;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Client;

/// <summary>
/// A subscription of an <see cref="OpcUaClient"/>: monitored items added and removed at run time, their data changes
/// as an async stream. The client publishes for it, acknowledges what arrived, asks for missing messages again
/// (Republish), and restores it after a reconnection; a value after a possible loss says so (<see cref="DataChange.GapBefore"/>).
/// </summary>
public sealed class OpcUaSubscription : IAsyncDisposable
{
    private readonly OpcUaClient _client;
    private readonly ConcurrentDictionary<uint, MonitoredNode> _items = new();
    private readonly Channel<DataChange> _changes;
    private readonly Channel<EventNotification> _events;
    private readonly Lock _sequenceLock = new();
    private uint _lastSequence;
    private int _nextHandle;

    internal OpcUaSubscription(OpcUaClient client, SubscriptionSettings settings, int bufferCapacity)
    {
        _client = client;
        Settings = settings;
        _changes = Channel.CreateBounded<DataChange>(new BoundedChannelOptions(bufferCapacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = false, SingleWriter = true });
        _events = Channel.CreateBounded<EventNotification>(new BoundedChannelOptions(bufferCapacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = false, SingleWriter = true });
    }

    /// <summary>The server's id; it changes when the subscription had to be re-created after a reconnection.</summary>
    public uint Id { get; internal set; }

    /// <summary>What was asked for.</summary>
    public SubscriptionSettings Settings { get; }

    /// <summary>The publishing interval the server granted, in ms.</summary>
    public double RevisedPublishingInterval { get; internal set; }

    /// <summary>The keep-alive count the server granted.</summary>
    public uint RevisedMaxKeepAliveCount { get; internal set; }

    /// <summary>The items monitored now.</summary>
    public IReadOnlyCollection<MonitoredNode> Items => [.. _items.Values];

    /// <summary>Keep-alive messages received (the server is there but nothing changed).</summary>
    public long KeepAlives { get; private set; }

    /// <summary>Adds monitored items; each result says whether the server accepted it.</summary>
    public async Task<MonitoredNode[]> AddAsync(IReadOnlyList<MonitoredItemRequest> requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var nodes = new MonitoredNode[requests.Count];
        for (var i = 0; i < nodes.Length; i++)
        {
            nodes[i] = new MonitoredNode(requests[i], (uint)Interlocked.Increment(ref _nextHandle));
            // Known before the server hears of it: initial values can arrive while later batches are still created.
            _items[nodes[i].ClientHandle] = nodes[i];
        }
        try
        {
            await _client.CreateItemsAsync(this, nodes, cancellationToken);
        }
        finally
        {
            foreach (var node in nodes)
            {
                if (!node.Status.IsGood || node.ServerId == 0) _items.TryRemove(node.ClientHandle, out _);
            }
        }
        return nodes;
    }

    /// <summary>Removes monitored items.</summary>
    public async Task RemoveAsync(IReadOnlyList<MonitoredNode> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        var ids = new uint[items.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = items[i].ServerId;
            _items.TryRemove(items[i].ClientHandle, out _);
        }
        if (ids.Length > 0) await _client.CallAsync<DeleteMonitoredItemsResponse>(new DeleteMonitoredItemsRequest { SubscriptionId = Id, MonitoredItemIds = ids }, cancellationToken);
    }

    /// <summary>The data changes as they arrive, until the subscription is deleted or the client closed.</summary>
    public IAsyncEnumerable<DataChange> ReadAllAsync(CancellationToken cancellationToken = default) => _changes.Reader.ReadAllAsync(cancellationToken);

    /// <summary>The events of the event items as they arrive, until the subscription is deleted or the client closed.</summary>
    public IAsyncEnumerable<EventNotification> ReadEventsAsync(CancellationToken cancellationToken = default) => _events.Reader.ReadAllAsync(cancellationToken);

    /// <summary>Deletes the subscription on the server and ends the stream.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_client.Forget(this)) return;
        try
        {
            await _client.CallAsync<DeleteSubscriptionsResponse>(new DeleteSubscriptionsRequest { SubscriptionIds = [Id] });
        }
        catch (OpcUaException)
        {
            // The server has forgotten it already or is gone: either way it no longer publishes for us.
        }
        _changes.Writer.TryComplete();
        _events.Writer.TryComplete();
    }

    internal IEnumerable<MonitoredNode> AllItems => _items.Values;

    internal void Complete()
    {
        _changes.Writer.TryComplete();
        _events.Writer.TryComplete();
    }

    /// <summary>Every item's next value reports a possible gap (messages lost, or the subscription re-created).</summary>
    internal void MarkGap()
    {
        foreach (var item in _items.Values) item.GapPending = true;
    }

    /// <summary>Restarts sequence tracking (a re-created subscription counts from 1 again).</summary>
    internal void ResetSequence()
    {
        lock (_sequenceLock) _lastSequence = 0;
    }

    /// <summary>
    /// Notes a message's sequence number; returns the numbers missing before it (to republish), or null when the
    /// message is one already seen.
    /// </summary>
    internal List<uint>? Track(uint sequence, bool keepAlive)
    {
        lock (_sequenceLock)
        {
            if (!keepAlive && _lastSequence != 0 && sequence <= _lastSequence) return null;
            // A keep-alive carries the number of the next message to come, a data message its own.
            var lastExpected = keepAlive ? sequence - 1 : sequence;
            var missing = new List<uint>();
            if (_lastSequence != 0)
            {
                for (var s = _lastSequence + 1; s < lastExpected + (keepAlive ? 1u : 0u) && missing.Count < 1000; s++) missing.Add(s);
            }
            if (lastExpected > _lastSequence) _lastSequence = lastExpected;
            return missing;
        }
    }

    internal void CountKeepAlive() => KeepAlives++;

    internal async ValueTask DeliverAsync(EventNotificationList notification, CancellationToken cancellationToken)
    {
        foreach (var e in notification.Events ?? [])
        {
            if (_items.TryGetValue(e.ClientHandle, out var item)) await _events.Writer.WriteAsync(new EventNotification(item, e.EventFields ?? []), cancellationToken);
        }
    }

    internal async ValueTask DeliverAsync(DataChangeNotification notification, CancellationToken cancellationToken)
    {
        foreach (var change in notification.MonitoredItems ?? [])
        {
            if (!_items.TryGetValue(change.ClientHandle, out var item)) continue;
            var gap = item.GapPending;
            var gapStart = item.LastSourceTimestamp;
            item.GapPending = false;
            if (change.Value.SourceTimestamp is { } source) item.LastSourceTimestamp = source;
            await _changes.Writer.WriteAsync(new DataChange(item, change.Value, gap, gap ? gapStart : null), cancellationToken);
        }
    }
}

/// <summary>How a subscription publishes.</summary>
public sealed record SubscriptionSettings
{
    /// <summary>Publishing interval in ms.</summary>
    public double PublishingInterval { get; init; } = 1000;

    /// <summary>Quiet publishing intervals before the server sends a keep-alive.</summary>
    public uint MaxKeepAliveCount { get; init; } = 10;

    /// <summary>Publishing intervals without a Publish request before the server drops the subscription.</summary>
    public uint LifetimeCount { get; init; } = 1000;

    /// <summary>Most notifications per Publish response; 0 for the server's limit.</summary>
    public uint MaxNotificationsPerPublish { get; init; }

    /// <summary>Relative priority among the session's subscriptions.</summary>
    public byte Priority { get; init; }
}
