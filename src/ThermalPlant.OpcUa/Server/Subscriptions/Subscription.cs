using System.Buffers;
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

    /// <summary>The largest body buffer kept for the next message.</summary>
    private const int MaxMessageHint = 1024 * 1024;

    private readonly Action<Subscription> _expired;
    private readonly Action<Subscription, Exception> _failed;
    private readonly Dictionary<uint, MonitoredItem> _items = [];

    // The retransmission queue, under a lock of its own: a Publish's acknowledgements and a Republish (on the read loop)
    // never wait for a publishing cycle that holds the subscription's lock while it builds a message.
    private readonly LinkedList<SentMessage> _sent = new();
    private readonly Lock _sentLock = new();

    // Responses made under the lock, sent after it in the order made; one sender at a time keeps that order. A response
    // with notifications carries its kept message, whose pooled bodies stay rented until it is sent. A plain queue under
    // its own lock: a ConcurrentQueue starts with a 32-slot segment, 2.5 kB per subscription at 1,000 sessions.
    private readonly Queue<(PendingPublish Request, PublishResponse Response, SentMessage? Sent)> _outbox = new();
    private readonly Lock _outboxLock = new();
    private readonly Lock _sendGate = new();

    // Only items with something held or queued are visited per cycle, so idle items cost nothing (100,000 stay cheap);
    // an item is listed once (its Listed flag, cheaper than a set) and dropped when it settles or is removed. Items
    // whose variable computes its value are read every cycle instead.
    private readonly List<MonitoredItem> _active = [];
    private readonly HashSet<MonitoredItem> _computed = [];
    private bool _scheduled;

    // The notification bodies are written into encoders kept from message to message, so that their buffers are rented
    // once, not per message; one that a message grew beyond MaxMessageHint is given up after it.
    private BinaryEncoder? _dataChanges;
    private BinaryEncoder? _events;
    private uint _nextSequence = 1;
    private uint _keepAliveCounter;
    private uint _lifetimeCounter;
    private bool _late;
    private bool _disposed;

    // Publish requests that arrived for a late subscription, or while its lock was busy, since its late publish on the
    // thread pool last looked; at most one such work item per subscription runs or waits (OnPublishRequest).
    private int _publishRequested;
    private int _itemCount;

    // Set when the subscription stops publishing by itself (expired or failed), before its owner disposes it.
    private bool _closed;

    // 1 while a publishing cycle runs (Cycle).
    private int _cycling;

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

    /// <summary>The items, read without the lock: a limit check on the read loop must not wait for a publishing cycle.</summary>
    public int ItemCount => Volatile.Read(ref _itemCount);

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
        Volatile.Write(ref _itemCount, _items.Count);
        if (item.Events is not null) return;
        if (item.Mode != MonitoringMode.Disabled) item.QueueCurrent(initial, _time.GetUtcNow());
        MarkActive(item);
        if (item.Node is UaVariable variable && item.AttributeId == (uint)AttributeId.Value)
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
        Volatile.Write(ref _itemCount, _items.Count);
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
        lock (_sentLock)
        {
            for (var node = _sent.First; node is not null; node = node.Next)
            {
                if (node.Value.Message.SequenceNumber != sequenceNumber) continue;
                _sent.Remove(node);
                node.Value.Release();
                return StatusCode.Good;
            }
            return StatusCodes.BadSequenceNumberUnknown;
        }
    }

    /// <summary>
    /// A sent and not yet acknowledged message, for Republish: a copy, as the kept message's bodies go back to the pool
    /// once it is acknowledged, which may come before the Republish response is sent.
    /// </summary>
    public NotificationMessage? Find(uint sequenceNumber)
    {
        lock (_sentLock)
        {
            foreach (var sent in _sent)
            {
                if (sent.Message.SequenceNumber == sequenceNumber) return sent.Copy();
            }
            return null;
        }
    }

    public uint[] AvailableSequenceNumbers()
    {
        lock (_sentLock) return AvailableUnlocked();
    }

    /// <summary>
    /// A Publish request arrived for this subscription's session (on the connection's read loop, which other connections
    /// share): a late subscription answers it at once, but on the thread pool, as its message may take milliseconds to
    /// build (100,000 items), and so does one whose lock is busy (a publishing cycle may hold it as long), as it may be
    /// late once the holder is done. One work item per subscription at most: Publish requests that come meanwhile are
    /// looked at by the one running, so a client sending many holds no more than its parked requests
    /// (<see cref="OpcUaServerOptions.MaxPublishRequestsPerSession"/>, beyond which the oldest is answered BadTooManyPublishRequests).
    /// </summary>
    public void OnPublishRequest()
    {
        if (Gate.TryEnter())
        {
            bool late;
            try
            {
                late = _late && !_disposed && !_closed;
            }
            finally
            {
                Gate.Exit();
            }
            if (!late) return;
        }
        if (Interlocked.Increment(ref _publishRequested) == 1) ThreadPool.UnsafeQueueUserWorkItem(static s => s.PublishLate(), this, preferLocal: false);
    }

    /// <summary>
    /// Answers parked Publish requests while the subscription is late, on the thread pool, until no request came since it
    /// last looked; a failure closes the subscription as a failed cycle does.
    /// </summary>
    private void PublishLate()
    {
        var seen = Volatile.Read(ref _publishRequested);
        while (true)
        {
            Exception? failure = null;
            lock (Gate)
            {
                try
                {
                    if (_late && !_disposed && !_closed) Publish(timer: false);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // Nothing awaits a work item: an exception would end the process.
                    failure = ex;
                    _closed = true;
                    Unschedule();
                }
            }
            SendQueued();
            if (failure is not null)
            {
                Volatile.Write(ref _publishRequested, 0);
                _failed(this, failure);
                return;
            }
            var left = Interlocked.Add(ref _publishRequested, -seen);
            if (left == 0) return;
            seen = left;
        }
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
            Respond(request, message, false, [], null);
        }
        SendQueued();
    }

    /// <summary>
    /// Stops publishing and frees the items and the kept messages. When the lock is busy (a publishing cycle, which may
    /// take milliseconds) that is done on the thread pool once it is free: DeleteSubscriptions and CloseSession call this
    /// on the read loop, and the subscription is no longer reachable from its session by then.
    /// </summary>
    public void Dispose()
    {
        if (!Gate.TryEnter())
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.DisposeWhenFree(), this, preferLocal: false);
            return;
        }
        try
        {
            DisposeUnlocked();
        }
        finally
        {
            Gate.Exit();
        }
    }

    private void DisposeWhenFree()
    {
        lock (Gate) DisposeUnlocked();
    }

    private void DisposeUnlocked()
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
        Volatile.Write(ref _itemCount, 0);
        _active.Clear();
        _computed.Clear();
        lock (_sentLock)
        {
            foreach (var sent in _sent) sent.Release();
            _sent.Clear();
        }
        _dataChanges?.Dispose();
        _dataChanges = null;
        _events?.Dispose();
        _events = null;
    }

    /// <summary>A value its variable pushed to one of the items (<see cref="MonitoredItem.OnValueChanged(DataValue)"/>, on the setter's thread).</summary>
    public void OnValueChanged(MonitoredItem item, DataValue value)
    {
        lock (Gate) OfferHeld(item, value, _time.GetUtcNow());
    }

    /// <summary>Takes the lock for a run of pushed values (<see cref="ValuePushBatch"/>) and returns the time to offer them at.</summary>
    public DateTimeOffset EnterForPushes()
    {
        Gate.Enter();
        return _time.GetUtcNow();
    }

    /// <summary>A value pushed to one of the items while a <see cref="ValuePushBatch"/> holds the lock.</summary>
    public void OfferHeld(MonitoredItem item, in DataValue value, DateTimeOffset now)
    {
        if (_disposed) return;
        item.Offer(value, now);
        MarkActive(item);
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
        // A tick that finds this subscription's previous cycle still running (a host's value source that blocks) skips
        // it: otherwise every later tick would tie up one more pool thread waiting for the lock, and hold up the other
        // subscriptions of its interval behind it.
        if (Interlocked.Exchange(ref _cycling, 1) != 0) return;
        try
        {
            CycleOnce();
        }
        finally
        {
            Volatile.Write(ref _cycling, 0);
        }
    }

    private void CycleOnce()
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
        // Held values sampled and settled items dropped in one pass: at 10,000 items each pass is cache misses.
        var kept = 0;
        for (var i = 0; i < _active.Count; i++)
        {
            var item = _active[i];
            if (!item.Removed) item.SampleHeld(now);
            Keep(item, ref kept);
        }
        _active.RemoveRange(kept, _active.Count - kept);
        foreach (var item in _computed)
        {
            item.Sample(((UaVariable)item.Node).Value, now);
            MarkActive(item);
        }
        Session.PublishRequests.ExpireStale();
        Publish(timer: true);
    }

    /// <summary>
    /// Moves <paramref name="item"/> to place <paramref name="kept"/> of the active list when it is still active, else
    /// unlists it: a pass over the list with this, then a RemoveRange from <paramref name="kept"/>, drops settled and
    /// removed items in place, keeping the others in order.
    /// </summary>
    private void Keep(MonitoredItem item, ref int kept)
    {
        if (!item.Removed && item.IsActive) _active[kept++] = item;
        else item.Listed = false;
    }

    private void Unschedule()
    {
        if (_scheduled) _scheduler.Leave(this, PublishingInterval);
        _scheduled = false;
    }

    /// <summary>Sends the responses made under the lock, oldest first; called after the lock is released.</summary>
    private void SendQueued()
    {
        lock (_outboxLock)
        {
            if (_outbox.Count == 0) return;
        }
        lock (_sendGate)
        {
            while (TakeQueued(out var next))
            {
                try
                {
                    next.Request.Responder.Respond(next.Request.RequestId, next.Response);
                }
                finally
                {
                    // The response is encoded now (IResponder.Respond): the send no longer needs its bodies.
                    next.Sent?.Release();
                }
            }
        }
    }

    private bool TakeQueued(out (PendingPublish Request, PublishResponse Response, SentMessage? Sent) next)
    {
        lock (_outboxLock) return _outbox.TryDequeue(out next);
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
            Respond(keepAlive, new NotificationMessage { SequenceNumber = _nextSequence, PublishTime = _time.GetUtcNow().UtcDateTime, NotificationData = [] }, false, AvailableSequenceNumbers(), null);
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
        var dataChanges = _dataChanges ??= new BinaryEncoder();
        dataChanges.Clear();
        dataChanges.WriteInt32(0);
        // The events' body only when an item on an EventNotifier has some.
        BinaryEncoder? events = null;
        var values = 0;
        var eventCount = 0;
        void Take(MonitoredItem item, int max)
        {
            if (item.Events is null)
            {
                values += item.Drain(dataChanges, max);
                return;
            }
            if (events is null)
            {
                events = _events ??= new BinaryEncoder();
                events.Clear();
                events.WriteInt32(0);
            }
            eventCount += item.DrainEvents(events, max);
        }
        // Drained and settled items are dropped from the active list in the same pass, and those after the message's
        // limit in a second one.
        var kept = 0;
        var next = 0;
        for (; next < _active.Count && values + eventCount < limit; next++)
        {
            var item = _active[next];
            if (item.HasNotifications)
            {
                Take(item, limit - values - eventCount);
                if (item.Triggered is { } triggered)
                {
                    foreach (var linkedId in triggered)
                    {
                        // A triggering item's report carries the queued samples of the items it triggers (Part 4, 5.12.1.6).
                        if (_items.TryGetValue(linkedId, out var linked) && linked.Mode == MonitoringMode.Sampling) Take(linked, int.MaxValue);
                    }
                }
            }
            Keep(item, ref kept);
        }
        for (; next < _active.Count; next++) Keep(_active[next], ref kept);
        _active.RemoveRange(kept, _active.Count - kept);
        dataChanges.WriteInt32At(0, values);
        // DiagnosticInfos: none.
        dataChanges.WriteInt32(0);
        events?.WriteInt32At(0, eventCount);
        var sent = Notifications(values, dataChanges.Written, eventCount, events is null ? default : events.Written);
        if (dataChanges.Capacity > MaxMessageHint)
        {
            dataChanges.Dispose();
            _dataChanges = null;
        }
        if (events is { Capacity: > MaxMessageHint })
        {
            events.Dispose();
            _events = null;
        }
        sent.Message.SequenceNumber = NextSequence();
        sent.Message.PublishTime = _time.GetUtcNow().UtcDateTime;
        Respond(request, sent.Message, HasNotifications(), Keep(sent), sent);
    }

    /// <summary>Adds a message to the retransmission queue, dropping the oldest beyond its size; returns the sequence numbers it holds.</summary>
    private uint[] Keep(SentMessage sent)
    {
        lock (_sentLock)
        {
            _sent.AddLast(sent);
            while (_sent.Count > _maxRetransmissionQueue)
            {
                _sent.First!.Value.Release();
                _sent.RemoveFirst();
            }
            return AvailableUnlocked();
        }
    }

    /// <summary>
    /// The message's notifications: data changes, events, or both (Part 4, 7.24), their bodies copied into arrays rented
    /// from the shared pool, not new arrays: a 10,000-value body is a 300 kB array a second otherwise, in the large-object heap.
    /// </summary>
    private static SentMessage Notifications(int valueCount, ReadOnlySpan<byte> dataChanges, int eventCount, ReadOnlySpan<byte> events)
    {
        if (eventCount == 0) return new SentMessage(DataChangeEncoding, dataChanges, null, default);
        if (valueCount == 0) return new SentMessage(EventListEncoding, events, null, default);
        return new SentMessage(DataChangeEncoding, dataChanges, EventListEncoding, events);
    }

    /// <summary>Queues the response for <see cref="SendQueued"/>; the caller holds the lock.</summary>
    private void Respond(PendingPublish request, NotificationMessage message, bool more, uint[] available, SentMessage? sent)
    {
        var response = new PublishResponse
        {
            ResponseHeader = new ResponseHeader { Timestamp = _time.GetUtcNow().UtcDateTime, RequestHandle = request.Request.RequestHeader.RequestHandle },
            SubscriptionId = Id,
            AvailableSequenceNumbers = available,
            MoreNotifications = more,
            NotificationMessage = message,
            Results = request.AcknowledgementResults,
            DiagnosticInfos = [],
        };
        lock (_outboxLock) _outbox.Enqueue((request, response, sent));
    }

    /// <summary>The retransmission queue's sequence numbers; the caller holds its lock.</summary>
    private uint[] AvailableUnlocked()
    {
        var numbers = new uint[_sent.Count];
        var i = 0;
        foreach (var sent in _sent) numbers[i++] = sent.Message.SequenceNumber;
        return numbers;
    }

    private uint NextSequence()
    {
        var sequence = _nextSequence;
        // Sequence numbers roll over to 1, never 0 (Part 4, 7.25).
        _nextSequence = _nextSequence == uint.MaxValue ? 1 : _nextSequence + 1;
        return sequence;
    }

    /// <summary>
    /// A message with notifications, kept for Republish until acknowledged (or pushed out of the retransmission queue)
    /// and queued to be sent: its bodies are in arrays rented from the shared pool, returned when both are done, so
    /// that neither the send nor a Republish ever reads an array the pool has handed out again.
    /// </summary>
    private sealed class SentMessage
    {
        private readonly byte[] _first;
        private readonly byte[]? _second;

        // One hold for the retransmission queue, one for the send.
        private int _holds = 2;

        public SentMessage(NodeId firstType, ReadOnlySpan<byte> first, NodeId? secondType, ReadOnlySpan<byte> second)
        {
            _first = Rent(first);
            var firstBody = new ExtensionObject(firstType, ExtensionObjectEncoding.Binary, _first.AsMemory(0, first.Length));
            if (secondType is null)
            {
                Message = new NotificationMessage { NotificationData = [firstBody] };
                return;
            }
            _second = Rent(second);
            Message = new NotificationMessage { NotificationData = [firstBody, new ExtensionObject(secondType, ExtensionObjectEncoding.Binary, _second.AsMemory(0, second.Length))] };
        }

        public NotificationMessage Message { get; }

        /// <summary>The message with its bodies in new arrays, which stay valid after this one is released.</summary>
        public NotificationMessage Copy() => new()
        {
            SequenceNumber = Message.SequenceNumber,
            PublishTime = Message.PublishTime,
            NotificationData = [.. Message.NotificationData!.Select(body => body with { Body = body.Body.ToArray() })],
        };

        /// <summary>Gives up one hold: the message left the retransmission queue, or its response was sent.</summary>
        public void Release()
        {
            if (Interlocked.Decrement(ref _holds) != 0) return;
            ArrayPool<byte>.Shared.Return(_first);
            if (_second is not null) ArrayPool<byte>.Shared.Return(_second);
        }

        private static byte[] Rent(ReadOnlySpan<byte> body)
        {
            var array = ArrayPool<byte>.Shared.Rent(body.Length);
            body.CopyTo(array);
            return array;
        }
    }
}
