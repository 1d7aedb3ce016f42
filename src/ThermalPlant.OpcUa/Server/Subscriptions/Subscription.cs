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
/// </summary>
internal sealed class Subscription : IDisposable
{
    private readonly TimeProvider _time;
    private readonly int _maxRetransmissionQueue;
    private readonly int _maxNotificationsPerMessage;
    private readonly Action<Subscription> _expired;
    private readonly Dictionary<uint, MonitoredItem> _items = [];
    private readonly Dictionary<uint, Action<UaVariable, DataValue>> _handlers = [];
    private readonly LinkedList<NotificationMessage> _sent = new();
    private readonly List<MonitoredItemNotification> _scratch = [];
    private readonly List<EventFieldList> _eventScratch = [];

    // Only items with something held or queued are visited per cycle, so idle items cost nothing (100,000 stay cheap);
    // items whose variable computes its value are read every cycle instead.
    private readonly HashSet<MonitoredItem> _active = [];
    private readonly HashSet<MonitoredItem> _computed = [];
    private readonly List<MonitoredItem> _settled = [];
    private ITimer? _timer;
    private uint _nextSequence = 1;
    private uint _keepAliveCounter;
    private uint _lifetimeCounter;
    private bool _late;
    private bool _disposed;

    public Subscription(uint id, Session session, TimeProvider time, int maxRetransmissionQueue, int maxNotificationsPerMessage, Action<Subscription> expired)
    {
        Id = id;
        Session = session;
        _time = time;
        _maxRetransmissionQueue = maxRetransmissionQueue;
        _maxNotificationsPerMessage = maxNotificationsPerMessage;
        _expired = expired;
    }

    /// <summary>Guards the subscription and its items; value pushes, the timer and services all take it.</summary>
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

    /// <summary>Sets the timing (already revised) and (re)starts the publishing timer.</summary>
    public void Configure(TimeSpan publishingInterval, uint lifetimeCount, uint maxKeepAliveCount)
    {
        lock (Gate)
        {
            PublishingInterval = publishingInterval;
            LifetimeCount = lifetimeCount;
            MaxKeepAliveCount = maxKeepAliveCount;
            // The first quiet cycle answers with a keep-alive at once, so a client learns the subscription works.
            _keepAliveCounter = maxKeepAliveCount;
            _lifetimeCounter = 0;
            _timer?.Dispose();
            _timer = _time.CreateTimer(_ => Cycle(), null, publishingInterval, publishingInterval);
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
            Action<UaVariable, DataValue> handler = (_, value) => OnValueChanged(item, value);
            _handlers[item.Id] = handler;
            variable.ValueChanged += handler;
        }
    }

    public bool Remove(uint id)
    {
        if (!_items.Remove(id, out var item)) return false;
        _active.Remove(item);
        _computed.Remove(item);
        item.Events?.Dispose();
        if (_handlers.Remove(id, out var handler) && item.Node is UaVariable variable) variable.ValueChanged -= handler;
        if (HasTriggers)
        {
            foreach (var other in _items.Values) other.TriggeredItems.Remove(id);
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
            _active.Add(item);
        }
    }

    /// <summary>Notes that an item holds or queues something; callers hold the lock.</summary>
    public void MarkActive(MonitoredItem item)
    {
        if (item.IsActive) _active.Add(item);
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
            if (_late && !_disposed) Publish(timer: false);
        }
    }

    /// <summary>Sends a status change (e.g. GoodSubscriptionTransferred) with the session's next Publish request.</summary>
    public void SendStatusChange(Session session, StatusCode status)
    {
        if (!session.PublishRequests.TryTake(out var request)) return;
        var message = new NotificationMessage
        {
            SequenceNumber = NextSequence(),
            PublishTime = _time.GetUtcNow().UtcDateTime,
            NotificationData = [ExtensionObject.From(new StatusChangeNotification { Status = status, DiagnosticInfo = new DiagnosticInfo() })],
        };
        Respond(request, message, false, []);
    }

    public void Dispose()
    {
        lock (Gate)
        {
            if (_disposed) return;
            _disposed = true;
            _timer?.Dispose();
            foreach (var (id, handler) in _handlers)
            {
                if (_items.TryGetValue(id, out var item) && item.Node is UaVariable variable) variable.ValueChanged -= handler;
            }
            _handlers.Clear();
            foreach (var item in _items.Values) item.Events?.Dispose();
            _items.Clear();
            _active.Clear();
            _computed.Clear();
        }
    }

    private void OnValueChanged(MonitoredItem item, DataValue value)
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
            if (item.OfferEvent(e, _time.GetUtcNow())) _active.Add(item);
        }
    }

    private void Cycle()
    {
        lock (Gate)
        {
            if (_disposed) return;
            var now = _time.GetUtcNow();
            _settled.Clear();
            foreach (var item in _active)
            {
                item.SampleHeld(now);
                if (!item.IsActive) _settled.Add(item);
            }
            foreach (var item in _settled) _active.Remove(item);
            foreach (var item in _computed)
            {
                item.Sample(((UaVariable)item.Node).Value, now);
                MarkActive(item);
            }
            Session.PublishRequests.ExpireStale();
            Publish(timer: true);
            if (_lifetimeCounter >= LifetimeCount)
            {
                _disposed = true;
                _timer?.Dispose();
            }
        }
        if (_disposed) _expired(this);
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
        _scratch.Clear();
        _eventScratch.Clear();
        _settled.Clear();
        foreach (var item in _active)
        {
            if (_scratch.Count + _eventScratch.Count >= limit) break;
            if (!item.HasNotifications) continue;
            item.Drain(_scratch, _eventScratch, limit - _scratch.Count - _eventScratch.Count);
            foreach (var linkedId in item.TriggeredItems)
            {
                // A triggering item's report carries the queued samples of the items it triggers (Part 4, 5.12.1.6).
                if (_items.TryGetValue(linkedId, out var linked) && linked.Mode == MonitoringMode.Sampling)
                {
                    linked.Drain(_scratch, _eventScratch, int.MaxValue);
                    if (!linked.IsActive) _settled.Add(linked);
                }
            }
            if (!item.IsActive) _settled.Add(item);
        }
        foreach (var item in _settled) _active.Remove(item);
        var message = new NotificationMessage
        {
            SequenceNumber = NextSequence(),
            PublishTime = _time.GetUtcNow().UtcDateTime,
            NotificationData = Notifications(),
        };
        _sent.AddLast(message);
        while (_sent.Count > _maxRetransmissionQueue) _sent.RemoveFirst();
        Respond(request, message, HasNotifications(), AvailableUnlocked());
    }

    /// <summary>The message's notifications: data changes, events, or both (Part 4, 7.24).</summary>
    private ExtensionObject[] Notifications()
    {
        if (_eventScratch.Count == 0) return [ExtensionObject.From(new DataChangeNotification { MonitoredItems = [.. _scratch], DiagnosticInfos = [] })];
        var events = SelectedEvent.Notifications(_eventScratch);
        if (_scratch.Count == 0) return [events];
        return [ExtensionObject.From(new DataChangeNotification { MonitoredItems = [.. _scratch], DiagnosticInfos = [] }), events];
    }

    private void Respond(PendingPublish request, NotificationMessage message, bool more, uint[] available) =>
        request.Responder.Respond(request.RequestId, new PublishResponse
        {
            ResponseHeader = new ResponseHeader { Timestamp = _time.GetUtcNow().UtcDateTime, RequestHandle = request.Request.RequestHeader.RequestHandle },
            SubscriptionId = Id,
            AvailableSequenceNumbers = available,
            MoreNotifications = more,
            NotificationMessage = message,
            Results = request.AcknowledgementResults,
            DiagnosticInfos = [],
        });

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
