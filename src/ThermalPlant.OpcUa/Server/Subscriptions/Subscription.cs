using System.Collections.Concurrent;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Events;
using ThermalPlant.OpcUa.Server.Sessions;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Subscriptions;

/// <summary>
/// A subscription (Part 4, 5.13.1): every publishing interval it sends its items' queued notifications, or a
/// keep-alive after MaxKeepAliveCount quiet intervals, in a Publish response of its session; it keeps sent messages
/// until acknowledged (for Republish) and expires after LifetimeCount intervals without a Publish request.
/// Value changes are pushed by variables into the items; only variables that compute their value are read per cycle.
/// Its cycles run on the server's <see cref="PublishingScheduler"/>. Responses are made under its lock and sent after
/// it is released, in order, so that value pushes and events never wait for a send.
/// </summary>
internal sealed class Subscription : IDisposable
{
    private readonly TimeProvider _time;
    private readonly PublishingScheduler _scheduler;
    private readonly int _maxRetransmissionQueue;
    private readonly int _maxNotificationsPerMessage;
    private static readonly NodeId DataChangeEncoding = NodeId.Of(DataChangeNotification.BinaryEncodingId);
    private static readonly NodeId EventListEncoding = NodeId.Of(EventNotificationList.BinaryEncodingId);

    /// <summary>The largest message size kept as the next message's starting capacity.</summary>
    private const int MaxMessageHint = 1024 * 1024;

    private readonly Action<Subscription> _expired;
    private readonly Action<Subscription, Exception> _failed;
    private readonly Dictionary<uint, MonitoredItem> _items = [];
    private readonly LinkedList<NotificationMessage> _sent = new();

    // Responses made under the lock, sent after it in the order made; one sender at a time keeps that order.
    private readonly ConcurrentQueue<(PendingPublish Request, PublishResponse Response)> _outbox = new();
    private readonly Lock _sendGate = new();

    // Only items with something held or queued are visited per cycle, so idle items cost nothing (100,000 stay cheap);
    // an item is listed once (its Listed flag, cheaper than a set) and dropped when it settles or is removed. Items
    // whose variable computes its value are read every cycle instead.
    private List<MonitoredItem> _active = [];
    private List<MonitoredItem> _kept = [];
    private readonly HashSet<MonitoredItem> _computed = [];
    private bool _scheduled;
    private int _lastMessageLength;
    private int _lastEventsLength;
    private uint _nextSequence = 1;
    private uint _keepAliveCounter;
    private uint _lifetimeCounter;
    private bool _late;
    private bool _disposed;

    // Set when the subscription stops publishing by itself (expired or failed), before its owner disposes it.
    private bool _closed;

    /// <summary>
    /// Creates a subscription; <paramref name="expired"/> is called when its lifetime ran out and <paramref name="failed"/>
    /// when a publishing cycle threw (the subscription is closed then), both outside its lock.
    /// </summary>
    public Subscription(uint id, Session session, TimeProvider time, PublishingScheduler scheduler, int maxRetransmissionQueue, int maxNotificationsPerMessage, Action<Subscription> expired, Action<Subscription, Exception> failed)
    {
        Id = id;
        Session = session;
        _time = time;
        _scheduler = scheduler;
        _maxRetransmissionQueue = maxRetransmissionQueue;
        _maxNotificationsPerMessage = maxNotificationsPerMessage;
        _expired = expired;
        _failed = failed;
    }

    /// <summary>Guards the subscription and its items; value pushes, the publishing cycle and services all take it.</summary>
    public Lock Gate { get; } = new();

    public uint Id { get; }

    public Session Session { get; set; }

    public TimeSpan PublishingInterval { get; private set; }

    public uint LifetimeCount { get; private set; }

    public uint MaxKeepAliveCount { get; private set; }

    public uint MaxNotificationsPerPublish { get; set; }

    public byte Priority { get; set; }

    public bool PublishingEnabled { get; set; }

    /// <summary>Set once any item triggers others, so removals only then look for links to drop.</summary>
    public bool HasTriggers { get; set; }

    public int ItemCount
    {
        get
        {
            lock (Gate) return _items.Count;
        }
    }

    /// <summary>Sets the timing (already revised) and (re)joins the scheduler at the publishing interval.</summary>
    public void Configure(TimeSpan publishingInterval, uint lifetimeCount, uint maxKeepAliveCount)
    {
        lock (Gate)
        {
            if (_scheduled) _scheduler.Leave(this, PublishingInterval);
            _scheduled = false;
            PublishingInterval = publishingInterval;
            LifetimeCount = lifetimeCount;
            MaxKeepAliveCount = maxKeepAliveCount;
            // The first quiet cycle answers with a keep-alive at once, so a client learns the subscription works.
            _keepAliveCounter = maxKeepAliveCount;
            _lifetimeCounter = 0;
            if (_disposed || _closed) return;
            _scheduler.Join(this, publishingInterval);
            _scheduled = true;
        }
    }

    public bool TryGetItem(uint id, out MonitoredItem item) => _items.TryGetValue(id, out item!);

    /// <summary>Adds an item; its initial value is queued unless it is disabled.</summary>
    public void Add(MonitoredItem item, DataValue initial)
    {
        _items[item.Id] = item;
        if (item.Events is not null) return;
        if (item.Mode != MonitoringMode.Disabled) item.QueueCurrent(initial, _time.GetUtcNow());
        MarkActive(item);
        if (item.Node is UaVariable variable && item.ItemToMonitor.AttributeId == (uint)AttributeId.Value)
        {
            if (variable.ValueSource is not null)
            {
                _computed.Add(item);
                return;
            }
            item.Owner = this;
            variable.AddObserver(item);
            // A value set between the create's read and the line above reached no observer and would be lost to the
            // client: offer the value the variable holds now; the item's filter drops it when it is the one queued.
            item.Offer(variable.Value, _time.GetUtcNow());
            MarkActive(item);
        }
    }

    public bool Remove(uint id)
    {
        if (!_items.Remove(id, out var item)) return false;
        // Dropped from the active list at its next compaction.
        item.Removed = true;
        _computed.Remove(item);
        item.Events?.Dispose();
        StopObserving(item);
        if (HasTriggers)
        {
            foreach (var other in _items.Values) other.Triggered?.Remove(id);
        }
        return true;
    }

    /// <summary>Queues every item's current value (TransferSubscriptions with SendInitialValues).</summary>
    public void QueueCurrentValues(Func<MonitoredItem, DataValue> read)
    {
        var now = _time.GetUtcNow();
        foreach (var item in _items.Values)
        {
            if (item.Mode == MonitoringMode.Disabled || item.Events is not null) continue;
            item.QueueCurrent(read(item), now);
            MarkActive(item);
        }
    }

    /// <summary>Notes that an item holds or queues something; callers hold the lock.</summary>
    public void MarkActive(MonitoredItem item)
    {
        if (item.Listed || item.Removed || !item.IsActive) return;
        item.Listed = true;
        _active.Add(item);
    }

    /// <summary>Removes an acknowledged message from the retransmission queue.</summary>
    public StatusCode Acknowledge(uint sequenceNumber)
    {
        lock (Gate)
        {
            for (var node = _sent.First; node is not null; node = node.Next)
            {
                if (node.Value.SequenceNumber != sequenceNumber) continue;
                _sent.Remove(node);
                return StatusCode.Good;
            }
            return StatusCodes.BadSequenceNumberUnknown;
        }
    }

    /// <summary>A sent and not yet acknowledged message, for Republish.</summary>
    public NotificationMessage? Find(uint sequenceNumber)
    {
        lock (Gate)
        {
            foreach (var message in _sent)
            {
                if (message.SequenceNumber == sequenceNumber) return message;
            }
            return null;
        }
    }

    public uint[] AvailableSequenceNumbers()
    {
        lock (Gate) return AvailableUnlocked();
    }

    /// <summary>A Publish request arrived for this subscription's session: a late subscription answers it now.</summary>
    public void OnPublishRequest()
    {
        lock (Gate)
        {
            if (_late && !_disposed && !_closed) Publish(timer: false);
        }
        SendQueued();
    }

    /// <summary>Sends a status change (e.g. GoodSubscriptionTransferred) with the session's next Publish request.</summary>
    public void SendStatusChange(Session session, StatusCode status)
    {
        if (!session.PublishRequests.TryTake(out var request)) return;
        lock (Gate)
        {
            var message = new NotificationMessage
            {
                SequenceNumber = NextSequence(),
                PublishTime = _time.GetUtcNow().UtcDateTime,
                NotificationData = [ExtensionObject.From(new StatusChangeNotification { Status = status, DiagnosticInfo = new DiagnosticInfo() })],
            };
            Respond(request, message, false, []);
        }
        SendQueued();
    }

    public void Dispose()
    {
        lock (Gate)
        {
            if (_disposed) return;
            _disposed = true;
            Unschedule();
            foreach (var item in _items.Values)
            {
                StopObserving(item);
                item.Events?.Dispose();
            }
            _items.Clear();
            _active.Clear();
            _computed.Clear();
        }
    }

    /// <summary>A value its variable pushed to one of the items (<see cref="MonitoredItem.OnValueChanged"/>, on the setter's thread).</summary>
    public void OnValueChanged(MonitoredItem item, DataValue value)
    {
        lock (Gate)
        {
            if (_disposed) return;
            item.Offer(value, _time.GetUtcNow());
            MarkActive(item);
        }
    }

    /// <summary>An event from an item's notifier (<see cref="EventManager"/> calls it from the thread that raised the event).</summary>
    public void OnEvent(MonitoredItem item, UaEvent e)
    {
        lock (Gate)
        {
            if (_disposed) return;
            if (item.OfferEvent(e, _time.GetUtcNow())) MarkActive(item);
        }
    }

    /// <summary>One publishing cycle; the <see cref="PublishingScheduler"/> calls it every publishing interval.</summary>
    public void Cycle()
    {
        var expired = false;
        Exception? failure = null;
        lock (Gate)
        {
            if (_disposed || _closed) return;
            try
            {
                CycleUnlocked();
                expired = _lifetimeCounter >= LifetimeCount;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A bug of ours or a host's value source that throws: a timer callback's exception would end the
                // process, and the subscription's state is no longer to be trusted, so it is closed and reported.
                failure = ex;
            }
            if (expired || failure is not null)
            {
                _closed = true;
                Unschedule();
            }
        }
        SendQueued();
        if (failure is not null) _failed(this, failure);
        else if (expired) _expired(this);
    }

    private void CycleUnlocked()
    {
        var now = _time.GetUtcNow();
        foreach (var item in _active) item.SampleHeld(now);
        Compact();
        foreach (var item in _computed)
        {
            item.Sample(((UaVariable)item.Node).Value, now);
            MarkActive(item);
        }
        Session.PublishRequests.ExpireStale();
        Publish(timer: true);
    }

    /// <summary>Drops settled and removed items from the active list, keeping the others in order.</summary>
    private void Compact()
    {
        _kept.Clear();
        foreach (var item in _active)
        {
            if (!item.Removed && item.IsActive) _kept.Add(item);
            else item.Listed = false;
        }
        (_active, _kept) = (_kept, _active);
        _kept.Clear();
    }

    private void Unschedule()
    {
        if (_scheduled) _scheduler.Leave(this, PublishingInterval);
        _scheduled = false;
    }

    /// <summary>Sends the responses made under the lock, oldest first; called after the lock is released.</summary>
    private void SendQueued()
    {
        if (_outbox.IsEmpty) return;
        lock (_sendGate)
        {
            while (_outbox.TryDequeue(out var next)) next.Request.Responder.Respond(next.Request.RequestId, next.Response);
        }
    }

    private static void StopObserving(MonitoredItem item)
    {
        if (item.Owner is null) return;
        item.Owner = null;
        ((UaVariable)item.Node).RemoveObserver(item);
    }

    private void Publish(bool timer)
    {
        if (PublishingEnabled && HasNotifications())
        {
            var sentAny = false;
            while (HasNotifications() && Session.PublishRequests.TryTake(out var request))
            {
                SendNotifications(request);
                sentAny = true;
            }
            if (sentAny && !HasNotifications())
            {
                _late = false;
                _keepAliveCounter = 0;
                _lifetimeCounter = 0;
                return;
            }
            if (timer) MissedPublish();
            return;
        }
        if (timer) _keepAliveCounter++;
        if (_keepAliveCounter < MaxKeepAliveCount && !_late) return;
        if (Session.PublishRequests.TryTake(out var keepAlive))
        {
            Respond(keepAlive, new NotificationMessage { SequenceNumber = _nextSequence, PublishTime = _time.GetUtcNow().UtcDateTime, NotificationData = [] }, false, AvailableUnlocked());
            _late = false;
            _keepAliveCounter = 0;
            _lifetimeCounter = 0;
        }
        else if (timer)
        {
            MissedPublish();
        }
    }

    private void MissedPublish()
    {
        _late = true;
        _lifetimeCounter++;
    }

    private bool HasNotifications()
    {
        foreach (var item in _active)
        {
            if (item.HasNotifications) return true;
        }
        return false;
    }

    private void SendNotifications(PendingPublish request)
    {
        var limit = MaxNotificationsPerPublish == 0 ? _maxNotificationsPerMessage : (int)Math.Min(MaxNotificationsPerPublish, (uint)_maxNotificationsPerMessage);
        // Values are written as a DataChangeNotification's body straight from the items' queues, and events as an
        // EventNotificationList's body from their fields encoded once for every item with the same filter, without an
        // object per notification; each array's count is written once known.
        using var dataChanges = new BinaryEncoder(Math.Max(256, _lastMessageLength));
        using var events = new BinaryEncoder(Math.Max(256, _lastEventsLength));
        dataChanges.WriteInt32(0);
        events.WriteInt32(0);
        var values = 0;
        var eventCount = 0;
        foreach (var item in _active)
        {
            if (values + eventCount >= limit) break;
            if (!item.HasNotifications) continue;
            values += item.Drain(dataChanges, events, limit - values - eventCount, out var taken);
            eventCount += taken;
            if (item.Triggered is not { } triggered) continue;
            foreach (var linkedId in triggered)
            {
                // A triggering item's report carries the queued samples of the items it triggers (Part 4, 5.12.1.6).
                if (_items.TryGetValue(linkedId, out var linked) && linked.Mode == MonitoringMode.Sampling)
                {
                    values += linked.Drain(dataChanges, events, int.MaxValue, out taken);
                    eventCount += taken;
                }
            }
        }
        Compact();
        dataChanges.WriteInt32At(0, values);
        // DiagnosticInfos: none.
        dataChanges.WriteInt32(0);
        events.WriteInt32At(0, eventCount);
        _lastMessageLength = Math.Min(dataChanges.Length, MaxMessageHint);
        _lastEventsLength = Math.Min(events.Length, MaxMessageHint);
        var message = new NotificationMessage
        {
            SequenceNumber = NextSequence(),
            PublishTime = _time.GetUtcNow().UtcDateTime,
            NotificationData = Notifications(values, dataChanges.Written, eventCount, events.Written),
        };
        _sent.AddLast(message);
        while (_sent.Count > _maxRetransmissionQueue) _sent.RemoveFirst();
        Respond(request, message, HasNotifications(), AvailableUnlocked());
    }

    /// <summary>The message's notifications: data changes, events, or both (Part 4, 7.24).</summary>
    private static ExtensionObject[] Notifications(int valueCount, ReadOnlySpan<byte> dataChanges, int eventCount, ReadOnlySpan<byte> events)
    {
        var values = new ExtensionObject(DataChangeEncoding, ExtensionObjectEncoding.Binary, dataChanges.ToArray());
        if (eventCount == 0) return [values];
        var list = new ExtensionObject(EventListEncoding, ExtensionObjectEncoding.Binary, events.ToArray());
        if (valueCount == 0) return [list];
        return [values, list];
    }

    /// <summary>Queues the response for <see cref="SendQueued"/>; the caller holds the lock.</summary>
    private void Respond(PendingPublish request, NotificationMessage message, bool more, uint[] available) =>
        _outbox.Enqueue((request, new PublishResponse
        {
            ResponseHeader = new ResponseHeader { Timestamp = _time.GetUtcNow().UtcDateTime, RequestHandle = request.Request.RequestHeader.RequestHandle },
            SubscriptionId = Id,
            AvailableSequenceNumbers = available,
            MoreNotifications = more,
            NotificationMessage = message,
            Results = request.AcknowledgementResults,
            DiagnosticInfos = [],
        }));

    private uint[] AvailableUnlocked()
    {
        var numbers = new uint[_sent.Count];
        var i = 0;
        foreach (var message in _sent) numbers[i++] = message.SequenceNumber;
        return numbers;
    }

    private uint NextSequence()
    {
        var sequence = _nextSequence;
        // Sequence numbers roll over to 1, never 0 (Part 4, 7.25).
        _nextSequence = _nextSequence == uint.MaxValue ? 1 : _nextSequence + 1;
        return sequence;
    }
}
