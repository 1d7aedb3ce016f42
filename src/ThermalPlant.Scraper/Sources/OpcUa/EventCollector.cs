using System.Threading.Channels;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Scraper.Delivery;
using ThermalPlant.Scraper.Events;
using ThermalPlant.Storage.Events;
using static ThermalPlant.OpcUa.Client.EventFilters;
using StatusCodes = ThermalPlant.OpcUa.Generated.StatusCodes;

namespace ThermalPlant.Scraper.Sources.OpcUa;

/// <summary>
/// Collects one endpoint's events: finds which of the configured notifiers (the Server object by default, which
/// reports every event of the server) have the SubscribeToEvents bit in their EventNotifier attribute, subscribes to
/// them in a subscription of its own (so events never wait behind values, nor values behind events), asks for the
/// retained conditions once (ConditionRefresh, so the current alarm states are stored even when their transitions
/// happened before the scraper ran) and queues every event for the <c>events</c> table. Events missed while nothing
/// listened are read from the server's event history (notifiers with the HistoryRead bit): at the start of a session
/// from the newest event queued before (or stored, after a restart of the scraper), and after a lost connection or a
/// server queue overflow from the newest event received before it. The history is indexed by the events' source Time,
/// which may lag any amount behind the gap (an event stamped when its condition began, a source that reports late), so
/// each read covers every Time the back-fill reaches (<see cref="OpcUaEndpointOptions.BackfillMaxAge"/>, as for values)
/// and asks the server, in its where clause, only for the events it received (ReceiveTime) or stamped after the newest
/// received here, less <see cref="OpcUaEndpointOptions.EventBackfillOverlap"/>; the same rule is applied again to what
/// comes back, for a server that ignores the where clause, and a server that refuses it is read without one. Nothing
/// the server still keeps of the gap is lost; what is read twice is stored once. An endpoint with no event notifier is
/// collected for its values only.
/// </summary>
internal sealed partial class EventCollector(OpcUaEndpointOptions options, EventQueue queue, StoredEvents stored, StorageState storage, TimeProvider time, ILogger logger)
{
    // Events handled together at most before they are queued.
    private const int MaxBurst = 1000;

    // Events remembered to drop a second copy: more than one publish, or one history page, brings at once.
    private const int RecentCapacity = 8192;

    private const byte SubscribeToEvents = 0x01;
    private const byte HistoryRead = 0x04;

    private readonly Lock _lock = new();
    private bool _whereRefused;
    private DateTime? _newest;
    private DateTime? _newestReceive;
    private readonly RecentEvents _recent = new(RecentCapacity);

    /// <summary>Subscribes, back-fills and queues events until the stream ends or <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(OpcUaClient client, CancellationToken cancellationToken)
    {
        var notifiers = await NotifiersAsync(client, cancellationToken);
        if (notifiers.Count == 0)
        {
            IEnumerable<string> searched = options.EventNotifiers.Count > 0 ? options.EventNotifiers : [$"i=2253 and the objects under {options.Root}"];
            LogNoNotifier(logger, options.Url, searched);
            return;
        }
        var session = new SessionGaps(this, time.GetUtcNow().UtcDateTime);
        client.ConnectionLost += session.OnConnectionLost;
        client.Reconnected += session.OnReconnected;
        try
        {
            var subscription = await client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = options.PublishingInterval.TotalMilliseconds }, cancellationToken);
            await using var _ = subscription;
            var filter = Select(EventFields.Select());
            var requests = notifiers.Select(n => MonitoredItemRequest.Events(n.Node, filter) with { QueueSize = (uint)options.EventQueueSize }).ToArray();
            var items = await subscription.AddAsync(requests, cancellationToken);
            foreach (var refused in items.Where(i => !i.Status.IsGood)) LogRefused(logger, options.Url, refused.Node.ToString(), refused.Status.ToString());
            var accepted = items.Where(i => i.Status.IsGood).Select(i => i.Node).ToHashSet();
            if (accepted.Count == 0) return;
            LogSubscribed(logger, options.Url, accepted);
            await RefreshAsync(client, subscription, cancellationToken);

            // Subscribed first, then the history up to now: an event raised in between comes both ways and is stored once.
            var history = notifiers.Where(n => accepted.Contains(n.Node) && n.History).Select(n => n.Node).ToArray();
            if (options.Backfill && history.Length == 0) LogNoEventHistory(logger, options.Url, accepted);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var backfill = options.Backfill && history.Length > 0 ? BackfillLoopAsync(client, history, filter, session, stop.Token) : Task.CompletedTask;
            try
            {
                await ReadEventsAsync(subscription, session, cancellationToken);
            }
            finally
            {
                await stop.CancelAsync();
                await backfill;
            }
        }
        finally
        {
            client.ConnectionLost -= session.OnConnectionLost;
            client.Reconnected -= session.OnReconnected;
        }
    }

    /// <summary>
    /// The notifiers to subscribe to, and whether they keep a history: the configured ones whose EventNotifier attribute
    /// says clients may subscribe; with none configured, the Server object (which should report every event) and the
    /// notifiers found under the root, for servers whose areas report only to themselves. An event reaching several of
    /// them is stored once (<see cref="Flush"/>).
    /// </summary>
    private async Task<List<(NodeId Node, bool History)>> NotifiersAsync(OpcUaClient client, CancellationToken cancellationToken)
    {
        var nodes = options.EventNotifiers.Count > 0 ? options.EventNotifiers.Select(NodeId.Parse).ToArray() : [NodeId.Of(ObjectIds.Server)];
        var values = await client.ReadAsync([.. nodes.Select(n => new ReadValueId { NodeId = n, AttributeId = (uint)AttributeId.EventNotifier })], TimestampsToReturn.Neither, cancellationToken);
        var notifiers = new List<(NodeId Node, bool History)>();
        for (var i = 0; i < nodes.Length && i < values.Length; i++)
        {
            if (values[i].Status.IsGood && values[i].Value.Value is byte bits && (bits & SubscribeToEvents) != 0) notifiers.Add((nodes[i], (bits & HistoryRead) != 0));
        }
        if (options.EventNotifiers.Count > 0) return notifiers;
        try
        {
            foreach (var (node, bits) in await new TreeBrowser(options).FindEventNotifiersAsync(client, cancellationToken))
            {
                if (!notifiers.Any(n => n.Node == node)) notifiers.Add((node, (bits & HistoryRead) != 0));
            }
        }
        catch (OpcUaException ex) when (!HistoryBackfill.IsTransient(ex.Status))
        {
            // No root (or it cannot be browsed): the Server object alone, as before.
            LogNoNotifierSearch(logger, options.Url, options.Root, ex.Message);
        }
        return notifiers;
    }

    /// <summary>Where the start-up back-fill begins: the newest event queued in this process, else the newest stored, else nowhere (nothing to close).</summary>
    private async Task<Gap?> StartingPointAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_newest is { } known) return new Gap(known, _newestReceive);
        }
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.StoredLookupTimeout);
            await storage.Migrated.WaitAsync(timeout.Token);
            return await stored.NewestAsync(options.Url, options.EventBackfillLookback, timeout.Token) is { } newest ? new Gap(newest.Time, newest.Receive) : null;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is OperationCanceledException or Npgsql.NpgsqlException or TimeoutException or IOException)
        {
            // Live events matter more than a start-up back-fill; later gaps are closed from the newest event received.
            LogNoStoredLookup(logger, options.Url, options.StoredLookupTimeout.TotalSeconds, ex.Message);
            return null;
        }
    }

    private async Task RefreshAsync(OpcUaClient client, OpcUaSubscription subscription, CancellationToken cancellationToken)
    {
        try
        {
            var status = await client.ConditionRefreshAsync(subscription, cancellationToken);
            if (status.IsBad) LogNoRefresh(logger, options.Url, status);
        }
        catch (OpcUaException ex) when (!HistoryBackfill.IsTransient(ex.Status))
        {
            // A server without conditions: its events still come.
            LogNoRefresh(logger, options.Url, ex.Status);
        }
    }

    private async Task ReadEventsAsync(OpcUaSubscription subscription, SessionGaps session, CancellationToken cancellationToken)
    {
        var pending = new List<StoredEvent>();
        await using var events = subscription.ReadEventsAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            var next = events.MoveNextAsync();
            // Queued whenever the stream has nothing more at hand, so batches form without a timer.
            if (pending.Count > 0 && (!next.IsCompleted || pending.Count >= MaxBurst)) Flush(pending, EventMetrics.Received);
            if (!await next) break;
            var fields = events.Current.Fields;
            if (EventFields.IsRefreshBracket(fields)) continue;
            if (EventFields.IsQueueOverflow(fields))
            {
                // The server dropped events of this item: read them from its history, from the newest received before.
                // The overflow event itself is the transport's signal, not a plant event, so it is not stored.
                LogOverflow(logger, options.Url);
                Flush(pending, EventMetrics.Received);
                session.MarkGap();
                session.Signal();
                continue;
            }
            pending.Add(EventFields.ToStoredEvent(options.Url, fields, time.GetUtcNow().UtcDateTime));
        }
        Flush(pending, EventMetrics.Received);
    }

    /// <summary>Reads the event history over each gap as the session signals one, until cancelled.</summary>
    private async Task BackfillLoopAsync(OpcUaClient client, NodeId[] notifiers, EventFilter filter, SessionGaps session, CancellationToken cancellationToken)
    {
        try
        {
            // Looked up here, not before reading: live events never wait for the database.
            session.Open(await StartingPointAsync(cancellationToken));
            while (await session.Signals.WaitToReadAsync(cancellationToken))
            {
                while (session.Signals.TryRead(out _))
                {
                }
                if (session.TakeGap() is not { } from) continue;
                try
                {
                    await BackfillAsync(client, notifiers, filter, from, cancellationToken);
                }
                catch (OpcUaException ex) when (HistoryBackfill.IsTransient(ex.Status))
                {
                    // The connection went while reading: the gap stays open from the same point, and the reconnection signals again.
                    session.Reopen(from);
                    LogBackfillInterrupted(logger, options.Url, ex.Message);
                }
                catch (OpcUaException ex)
                {
                    // The server answered that it keeps no (readable) event history: live events go on, gaps stay gaps.
                    LogBackfillRefused(logger, options.Url, ex.Status.ToString());
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task BackfillAsync(OpcUaClient client, NodeId[] notifiers, EventFilter filter, Gap from, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        // Every Time the back-fill reaches: how long before the gap an event was stamped says nothing of when it came.
        var start = now - options.BackfillMaxAge;
        // The server's clock may run ahead of ours; what it stamps later than this comes live.
        var end = now + options.EventBackfillOverlap;
        var seenUpTo = from.Time - options.EventBackfillOverlap;
        // Without a ReceiveTime (what JetStream acknowledged keeps none), the newest Time stands for it: a server
        // receives an event no earlier than its source stamped it, but for clocks apart by less than the overlap.
        var receivedFrom = (from.Receive ?? from.Time) - options.EventBackfillOverlap;
        var since = Since(seenUpTo, receivedFrom);
        var pending = new List<StoredEvent>();
        var read = 0;
        foreach (var notifier in notifiers)
        {
            try
            {
                read += await BackfillNotifierAsync(client, notifier, Volatile.Read(ref _whereRefused) ? filter : since, start, end, seenUpTo, receivedFrom, now, pending, cancellationToken);
            }
            catch (OpcUaException ex) when (IsFilterRefused(ex.Status) && !Volatile.Read(ref _whereRefused))
            {
                // The server keeps event history but not where clauses in it: the whole range, kept here by the same rule.
                Volatile.Write(ref _whereRefused, true);
                LogWhereRefused(logger, options.Url, ex.Status.ToString());
                pending.Clear();
                read += await BackfillNotifierAsync(client, notifier, filter, start, end, seenUpTo, receivedFrom, now, pending, cancellationToken);
            }
        }
        LogBackfilled(logger, options.Url, read, receivedFrom, end);
    }

    /// <summary>Reads one notifier's history page by page and queues what the gap may have missed; returns how many were kept.</summary>
    private async Task<int> BackfillNotifierAsync(OpcUaClient client, NodeId notifier, EventFilter filter, DateTime start, DateTime end, DateTime seenUpTo, DateTime receivedFrom,
        DateTime now, List<StoredEvent> pending, CancellationToken cancellationToken)
    {
        var read = 0;
        await foreach (var page in client.HistoryReadEventPagesAsync(notifier, filter, start, end, (uint)options.HistoryValuesPerCall, cancellationToken))
        {
            foreach (var fields in page)
            {
                if (EventFields.IsRefreshBracket(fields)) continue;
                var e = EventFields.ToStoredEvent(options.Url, fields, now);
                // Stamped before the gap and received by the server before it too: received here already.
                if (e.Time < seenUpTo && e.ReceiveTime < receivedFrom) continue;
                pending.Add(e);
            }
            read += pending.Count;
            Flush(pending, EventMetrics.Backfilled);
        }
        return read;
    }

    /// <summary>The scraper's select clauses, where Time or ReceiveTime is at or after the given ones.</summary>
    private static EventFilter Since(DateTime time, DateTime receiveTime) => Select(EventFields.Select(), new ContentFilter
    {
        Elements =
        [
            Element(FilterOperator.Or, ElementAt(1), ElementAt(2)),
            Element(FilterOperator.GreaterThanOrEqual, Operand(Field("Time")), Literal(Variant.From(time))),
            Element(FilterOperator.GreaterThanOrEqual, Operand(Field("ReceiveTime")), Literal(Variant.From(receiveTime))),
        ],
    });

    /// <summary>Whether <paramref name="status"/> says the server does not take the where clause (rather than no history at all).</summary>
    private static bool IsFilterRefused(StatusCode status) => status.Code is StatusCodes.BadEventFilterInvalid or StatusCodes.BadContentFilterInvalid
        or StatusCodes.BadFilterNotAllowed or StatusCodes.BadFilterOperatorInvalid or StatusCodes.BadFilterOperatorUnsupported or StatusCodes.BadFilterOperandCountMismatch
        or StatusCodes.BadFilterOperandInvalid or StatusCodes.BadFilterElementInvalid or StatusCodes.BadFilterLiteralInvalid;

    private void Flush(List<StoredEvent> pending, Prometheus.Counter counter)
    {
        if (pending.Count == 0) return;
        lock (_lock)
        {
            // The same event through two notifiers (or read back from history after it came live) is queued once.
            pending.RemoveAll(e => !_recent.Add(e));
            foreach (var e in pending)
            {
                if (_newest is not { } newest || e.Time > newest) _newest = e.Time;
                if (_newestReceive is not { } receive || e.ReceiveTime > receive) _newestReceive = e.ReceiveTime;
            }
        }
        if (pending.Count == 0) return;
        counter.WithLabels(options.Url).Inc(pending.Count);
        queue.Add(pending);
        pending.Clear();
    }

    /// <summary>The keys (endpoint's EventId and Time, as the table's) of the last events queued, oldest forgotten first.</summary>
    private sealed class RecentEvents(int capacity)
    {
        private readonly HashSet<(string Id, DateTime Time)> _keys = [];
        private readonly Queue<(string Id, DateTime Time)> _order = new();

        /// <summary>False when <paramref name="e"/> was among the last queued.</summary>
        public bool Add(StoredEvent e)
        {
            var key = (Convert.ToBase64String(e.EventId), e.Time);
            if (!_keys.Add(key)) return false;
            _order.Enqueue(key);
            if (_order.Count > capacity) _keys.Remove(_order.Dequeue());
            return true;
        }
    }

    /// <summary>Where events may be missing from: after the newest event Time received, and the newest ReceiveTime (null when unknown).</summary>
    private readonly record struct Gap(DateTime Time, DateTime? Receive);

    /// <summary>
    /// The gaps of one session: the point from which events may be missing (the newest received when the connection
    /// went, or the start-up point) and a signal to the back-fill loop once it can read (at once at start and after an
    /// overflow, after the reconnection when the connection went).
    /// </summary>
    private sealed class SessionGaps(EventCollector owner, DateTime started)
    {
        private readonly Channel<bool> _signals = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        private Gap? _gapFrom;
        private bool _open;

        public ChannelReader<bool> Signals => _signals.Reader;

        /// <summary>Back-fill is possible from now on; <paramref name="from"/> is the start-up gap, if any.</summary>
        public void Open(Gap? from)
        {
            lock (owner._lock)
            {
                _open = true;
                if (from is { } start && (_gapFrom is not { } gap || start.Time < gap.Time)) _gapFrom = start;
            }
            Signal();
        }

        public void OnConnectionLost(Exception error) => MarkGap();

        public void OnReconnected(bool recreated) => Signal();

        /// <summary>Events after the newest received so far (or the session's start) may be missing; an earlier gap still open is kept.</summary>
        public void MarkGap()
        {
            lock (owner._lock)
            {
                _gapFrom ??= owner._newest is { } newest ? new Gap(newest, owner._newestReceive) : new Gap(started, null);
            }
        }

        public void Reopen(Gap from)
        {
            lock (owner._lock)
            {
                if (_gapFrom is not { } gap || from.Time < gap.Time) _gapFrom = from;
            }
        }

        public Gap? TakeGap()
        {
            lock (owner._lock)
            {
                if (!_open) return null;
                var gap = _gapFrom;
                _gapFrom = null;
                return gap;
            }
        }

        public void Signal() => _signals.Writer.TryWrite(true);
    }

    [LoggerMessage(EventId = 740, Level = LogLevel.Information, Message = "Subscribed to the events of {Url} at {Notifiers}")]
    private static partial void LogSubscribed(ILogger logger, string url, IEnumerable<NodeId> notifiers);

    [LoggerMessage(EventId = 741, Level = LogLevel.Information, Message = "{Url} has no event notifier among {Nodes} (no SubscribeToEvents bit); its values are collected, no events")]
    private static partial void LogNoNotifier(ILogger logger, string url, IEnumerable<string> nodes);

    [LoggerMessage(EventId = 742, Level = LogLevel.Warning, Message = "{Url} refused the event subscription at {Node} ({Status}); its events are not collected from there")]
    private static partial void LogRefused(ILogger logger, string url, string node, string status);

    [LoggerMessage(EventId = 743, Level = LogLevel.Information, Message = "{Url} answered ConditionRefresh with {Status}; events are collected as they come, without the current alarm states first")]
    private static partial void LogNoRefresh(ILogger logger, string url, StatusCode status);

    [LoggerMessage(EventId = 744, Level = LogLevel.Warning, Message = "{Url} signalled an event queue overflow: events were dropped in the server's queue (raise EventQueueSize); they are read from the server's event history where it keeps one")]
    private static partial void LogOverflow(ILogger logger, string url);

    [LoggerMessage(EventId = 746, Level = LogLevel.Information, Message = "Back-filled {Count} events of {Url} from its event history received between {From:o} and {To:o} (those stored before are not stored twice)")]
    private static partial void LogBackfilled(ILogger logger, string url, int count, DateTime from, DateTime to);

    [LoggerMessage(EventId = 747, Level = LogLevel.Warning, Message = "The event back-fill of {Url} was interrupted ({Problem}); it is tried again from the same point after the reconnection")]
    private static partial void LogBackfillInterrupted(ILogger logger, string url, string problem);

    [LoggerMessage(EventId = 748, Level = LogLevel.Warning, Message = "{Url} refused to read its event history ({Status}); events missed while disconnected cannot be back-filled, live events go on")]
    private static partial void LogBackfillRefused(ILogger logger, string url, string status);

    [LoggerMessage(EventId = 752, Level = LogLevel.Warning, Message = "{Url} refused the where clause of an event history read ({Status}); its event history is read without one, the whole back-fill range each time")]
    private static partial void LogWhereRefused(ILogger logger, string url, string status);

    [LoggerMessage(EventId = 751, Level = LogLevel.Warning, Message = "{Url}: searching {Root} for event notifiers failed ({Problem}); events are subscribed at the Server object only")]
    private static partial void LogNoNotifierSearch(ILogger logger, string url, string root, string problem);

    [LoggerMessage(EventId = 749, Level = LogLevel.Information, Message = "No event notifier of {Url} ({Notifiers}) has the HistoryRead bit: events missed while disconnected cannot be back-filled")]
    private static partial void LogNoEventHistory(ILogger logger, string url, IEnumerable<NodeId> notifiers);

    [LoggerMessage(EventId = 750, Level = LogLevel.Warning, Message = "The database did not say within {TimeoutSeconds} s which events it holds of {Url} ({Problem}); collecting events without a start-up back-fill")]
    private static partial void LogNoStoredLookup(ILogger logger, string url, double timeoutSeconds, string problem);
}
