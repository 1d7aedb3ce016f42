using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Scraper.Events;
using ThermalPlant.Storage.Events;
using static ThermalPlant.OpcUa.Client.EventFilters;

namespace ThermalPlant.Scraper.Sources.OpcUa;

/// <summary>
/// Collects one endpoint's events during a session: finds which of the configured notifiers (the Server object by
/// default, which reports every event of the server) have the SubscribeToEvents bit in their EventNotifier attribute,
/// subscribes to them in a subscription of its own (so events never wait behind values, nor values behind events),
/// asks for the retained conditions once (ConditionRefresh, so the current alarm states are stored even when their
/// transitions happened before the scraper ran) and queues every event for the <c>events</c> table. An endpoint with
/// no event notifier, or that refuses events, is collected for its values only.
/// </summary>
internal sealed partial class EventCollector(OpcUaEndpointOptions options, EventQueue queue, TimeProvider time, ILogger logger)
{
    // Events handled together at most before they are queued.
    private const int MaxBurst = 1000;

    /// <summary>Subscribes and queues events until the stream ends or <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(OpcUaClient client, CancellationToken cancellationToken)
    {
        var notifiers = await NotifiersAsync(client, cancellationToken);
        if (notifiers.Count == 0)
        {
            LogNoNotifier(logger, options.Url, string.Join(", ", Configured()));
            return;
        }
        var subscription = await client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = options.PublishingInterval.TotalMilliseconds }, cancellationToken);
        await using var _ = subscription;
        var filter = Select(EventFields.Select());
        var requests = notifiers.Select(n => MonitoredItemRequest.Events(n, filter) with { QueueSize = (uint)options.EventQueueSize }).ToArray();
        var items = await subscription.AddAsync(requests, cancellationToken);
        var accepted = items.Count(i => i.Status.IsGood);
        foreach (var refused in items.Where(i => !i.Status.IsGood)) LogRefused(logger, options.Url, refused.Node.ToString(), refused.Status.ToString());
        if (accepted == 0) return;
        LogSubscribed(logger, options.Url, string.Join(", ", items.Where(i => i.Status.IsGood).Select(i => i.Node)));
        await RefreshAsync(client, subscription, cancellationToken);
        await ReadEventsAsync(subscription, cancellationToken);
    }

    private IEnumerable<string> Configured() => options.EventNotifiers.Count > 0 ? options.EventNotifiers : [NodeId.Of(ObjectIds.Server).ToString()];

    /// <summary>The configured notifiers whose EventNotifier attribute says clients may subscribe to their events.</summary>
    private async Task<List<NodeId>> NotifiersAsync(OpcUaClient client, CancellationToken cancellationToken)
    {
        var nodes = Configured().Select(NodeId.Parse).ToArray();
        var values = await client.ReadAsync([.. nodes.Select(n => new ReadValueId { NodeId = n, AttributeId = (uint)AttributeId.EventNotifier })], TimestampsToReturn.Neither, cancellationToken);
        var notifiers = new List<NodeId>();
        for (var i = 0; i < nodes.Length && i < values.Length; i++)
        {
            if (values[i].Status.IsGood && values[i].Value.Value is byte bits && (bits & 0x01) != 0) notifiers.Add(nodes[i]);
        }
        return notifiers;
    }

    private async Task RefreshAsync(OpcUaClient client, OpcUaSubscription subscription, CancellationToken cancellationToken)
    {
        try
        {
            var status = await client.ConditionRefreshAsync(subscription, cancellationToken);
            if (status.IsBad) LogNoRefresh(logger, options.Url, status.ToString());
        }
        catch (OpcUaException ex) when (!HistoryBackfill.IsTransient(ex.Status))
        {
            // A server without conditions: its events still come.
            LogNoRefresh(logger, options.Url, ex.Status.ToString());
        }
    }

    private async Task ReadEventsAsync(OpcUaSubscription subscription, CancellationToken cancellationToken)
    {
        var pending = new List<StoredEvent>();
        await using var events = subscription.ReadEventsAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            var next = events.MoveNextAsync();
            // Queued whenever the stream has nothing more at hand, so batches form without a timer.
            if (pending.Count > 0 && (!next.IsCompleted || pending.Count >= MaxBurst)) Flush(pending);
            if (!await next) break;
            var fields = events.Current.Fields;
            if (EventFields.IsRefreshBracket(fields)) continue;
            if (EventFields.IsQueueOverflow(fields)) LogOverflow(logger, options.Url);
            pending.Add(EventFields.ToStoredEvent(options.Url, fields, time.GetUtcNow().UtcDateTime));
        }
        Flush(pending);
    }

    private void Flush(List<StoredEvent> pending)
    {
        if (pending.Count == 0) return;
        EventMetrics.Received.WithLabels(options.Url).Inc(pending.Count);
        queue.Add(pending);
        pending.Clear();
    }

    [LoggerMessage(EventId = 740, Level = LogLevel.Information, Message = "Subscribed to the events of {Url} at {Notifiers}")]
    private static partial void LogSubscribed(ILogger logger, string url, string notifiers);

    [LoggerMessage(EventId = 741, Level = LogLevel.Information, Message = "{Url} has no event notifier among {Nodes} (no SubscribeToEvents bit); its values are collected, no events")]
    private static partial void LogNoNotifier(ILogger logger, string url, string nodes);

    [LoggerMessage(EventId = 742, Level = LogLevel.Warning, Message = "{Url} refused the event subscription at {Node} ({Status}); its events are not collected from there")]
    private static partial void LogRefused(ILogger logger, string url, string node, string status);

    [LoggerMessage(EventId = 743, Level = LogLevel.Information, Message = "{Url} answered ConditionRefresh with {Status}; events are collected as they come, without the current alarm states first")]
    private static partial void LogNoRefresh(ILogger logger, string url, string status);

    [LoggerMessage(EventId = 744, Level = LogLevel.Warning, Message = "{Url} signalled an event queue overflow: events were dropped in the server's queue (raise EventQueueSize); the event back-fill reads them from the server's event history where it keeps one")]
    private static partial void LogOverflow(ILogger logger, string url);
}
