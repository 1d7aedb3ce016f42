using System.Collections.Concurrent;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Scraper.Delivery;
using ThermalPlant.Scraper.Events;
using ThermalPlant.Scraper.Supervision;
using ThermalPlant.Scraper.Transport;
using ThermalPlant.Storage.Writing;
using StatusCodes = ThermalPlant.OpcUa.Generated.StatusCodes;

namespace ThermalPlant.Scraper.Sources.OpcUa;

/// <summary>
/// Collects one OPC UA endpoint: connects and opens a session (the client re-establishes a lost connection and
/// restores the subscription by itself), browses the tree, subscribes to every numeric or boolean variable (or polls
/// them), re-browses periodically, and queues every value for storage. Before the first value of a variable in a
/// session, and before a value that follows a possible loss (a reconnection that lost messages, a server restart, a
/// server queue overflow), the values in between are read from the server's history and queued first, so that per
/// variable values are queued in time order. A failed session ends here and the supervisor starts a new one.
/// </summary>
internal sealed partial class OpcUaEndpointSource(
    OpcUaEndpointOptions options,
    SampleQueue queue,
    EventQueue events,
    StoredEvents storedEvents,
    StorageState storage,
    IStoredTimestamps stored,
    SourceHealth health,
    TimeProvider time,
    ILogger<OpcUaEndpointSource> logger)
{
    private readonly ConcurrentDictionary<NodeId, ScrapedVariable> _variables = new();
    private readonly TreeBrowser _browser = new(options);
    private readonly HistoryBackfill _backfill = new(options, logger);
    private readonly EventCollector _events = new(options, events, storedEvents, storage, time, logger);
    private readonly string _name = $"opcua {options.Url}";
    private int _attempted;

    /// <summary>The source's name in logs, health and metrics.</summary>
    public string Name => _name;

    /// <summary>Variables collected now.</summary>
    public int VariableCount => _variables.Count;

    /// <summary>
    /// One session: runs until the connection is given up or <paramref name="cancellationToken"/> fires. Its state
    /// (connecting, connected, backoff once it failed and the supervisor waits) is shown in /metrics and /health/ready.
    /// </summary>
    public async Task RunSessionAsync(CancellationToken cancellationToken)
    {
        // Until the first connection works the endpoint is down, so /health/ready names it from the start; later
        // attempts keep the last error there.
        if (Interlocked.Exchange(ref _attempted, 1) == 0) health.Report(_name, false, SourceStates.Connecting);
        ScraperMetrics.SetState(_name, SourceStates.Connecting);
        try
        {
            await CollectAsync(cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            ScraperMetrics.SetState(_name, SourceStates.Backoff);
            throw;
        }
    }

    private async Task CollectAsync(CancellationToken cancellationToken)
    {
        var clientOptions = options.Security().ApplyTo(new OpcUaClientOptions
        {
            ApplicationName = "Thermal Plant scraper",
            ApplicationUri = "urn:thermalplant:scraper",
            RequestTimeout = options.RequestTimeout,
            HandshakeTimeout = options.HandshakeTimeout,
            ReconnectMinDelay = options.ReconnectMinDelay,
            ReconnectMaxDelay = options.ReconnectMaxDelay,
        });
        // Channel, endpoint and session within one HandshakeTimeout: a server that accepts and never answers fails
        // this attempt naming the step, and the supervisor retries with backoff.
        await using var client = await OpcUaClient.ConnectAsync(options.Url, clientOptions, time, "thermalplant-scraper", cancellationToken);
        client.ConnectionLost += ex =>
        {
            health.Report(_name, false, ex.Message);
            ScraperMetrics.SetState(_name, SourceStates.Connecting);
            LogConnectionLost(logger, options.Url, ex.Message);
        };
        client.Reconnected += recreated =>
        {
            health.Report(_name, true);
            ScraperMetrics.SetState(_name, SourceStates.Connected);
            LogReconnected(logger, options.Url, recreated);
        };
        health.Report(_name, true);
        ScraperMetrics.SetState(_name, SourceStates.Connected);
        LogConnected(logger, options.Url, client.Endpoint.SecurityPolicyUri, client.Endpoint.SecurityMode);

        var lastStored = await LookupStoredAsync(cancellationToken);
        var found = await BrowseAsync(client, cancellationToken);
        foreach (var variable in _variables.Values)
        {
            variable.Seen = false;
            if (lastStored.TryGetValue(variable.Tag.NodeId, out var last) || lastStored.TryGetValue(variable.Tag.NodeId + "[0]", out last)) variable.StoredTimestamp = last;
        }
        LogCollecting(logger, options.Url, options.Root, found.Count, options.Mode);
        using var stopEvents = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var eventsCollected = options.Events ? CollectEventsAsync(client, stopEvents.Token) : Task.CompletedTask;
        try
        {
            if (options.Mode == CollectionMode.Subscribe)
            {
                await SubscribeAsync(client, found, cancellationToken);
            }
            else
            {
                await PollAsync(client, cancellationToken);
            }
        }
        finally
        {
            await stopEvents.CancelAsync();
            await eventsCollected;
        }
    }

    /// <summary>The session's events, next to its values; a failure of the events ends them for this session, never the values.</summary>
    private async Task CollectEventsAsync(OpcUaClient client, CancellationToken cancellationToken)
    {
        try
        {
            await _events.RunAsync(client, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is OpcUaException or IOException or TimeoutException or FormatException)
        {
            LogEventsFailed(logger, options.Url, ex.Message);
        }
    }

    private async Task<IReadOnlyDictionary<string, DateTime>> LookupStoredAsync(CancellationToken cancellationToken)
    {
        if (!options.Backfill) return new Dictionary<string, DateTime>();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.StoredLookupTimeout);
            await storage.Migrated.WaitAsync(timeout.Token);
            return await stored.LastPerNodeAsync(options.Url, timeout.Token);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is OperationCanceledException or Npgsql.NpgsqlException or TimeoutException or IOException)
        {
            // Collecting matters more than a start-up back-fill: without the database's answer the first values start
            // the series, and the last value seen before a later gap is known from then on.
            LogNoStoredLookup(logger, options.Url, options.StoredLookupTimeout.TotalSeconds, ex.Message);
            return new Dictionary<string, DateTime>();
        }
    }

    /// <summary>Browses the tree; variables new since the last browse are added to the collection, vanished ones removed. Returns the current set.</summary>
    private async Task<IReadOnlyList<ScrapedVariable>> BrowseAsync(OpcUaClient client, CancellationToken cancellationToken)
    {
        var outcome = await _browser.BrowseAsync(client, cancellationToken);
        var current = new HashSet<NodeId>();
        foreach (var variable in outcome.Variables)
        {
            current.Add(variable.Node);
            var tag = new TagKey(options.Url, variable.Node.ToString(), variable.SensorName, variable.TagName);
            _variables.AddOrUpdate(variable.Node, _ => new ScrapedVariable(variable.Node, tag), (_, existing) =>
            {
                existing.Rename(tag);
                return existing;
            });
        }
        foreach (var gone in _variables.Keys.Where(k => !current.Contains(k)).ToList()) _variables.TryRemove(gone, out _);
        ScraperMetrics.Variables.WithLabels(options.Url).Set(_variables.Count);
        ScraperMetrics.SkippedVariables.WithLabels(options.Url).Set(outcome.Skipped);
        LogBrowsed(logger, options.Url, outcome.NodesVisited, outcome.Variables.Count, outcome.Skipped, outcome.SkippedText);
        if (outcome.Truncated) LogTruncated(logger, options.Url, options.MaxNodes);
        return [.. outcome.Variables.Select(v => _variables[v.Node])];
    }

    private async Task SubscribeAsync(OpcUaClient client, IReadOnlyList<ScrapedVariable> variables, CancellationToken cancellationToken)
    {
        var subscription = await client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = options.PublishingInterval.TotalMilliseconds }, cancellationToken);
        await using var _ = subscription;
        var monitored = new ConcurrentDictionary<NodeId, MonitoredNode>();
        await AddItemsAsync(subscription, variables, monitored, cancellationToken);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var rebrowse = RebrowseAsync(client, subscription, monitored, stop.Token);
        try
        {
            await ReadChangesAsync(client, subscription, cancellationToken);
        }
        finally
        {
            await stop.CancelAsync();
            await rebrowse;
        }
        throw new OpcUaException(StatusCodes.BadConnectionClosed, "the subscription's stream ended");
    }

    private async Task AddItemsAsync(OpcUaSubscription subscription, IReadOnlyList<ScrapedVariable> variables, ConcurrentDictionary<NodeId, MonitoredNode> monitored, CancellationToken cancellationToken)
    {
        var refused = 0;
        foreach (var chunk in variables.Chunk(1000))
        {
            var requests = chunk.Select(v => new MonitoredItemRequest(v.Node)
            {
                SamplingInterval = options.SamplingInterval.TotalMilliseconds,
                QueueSize = (uint)options.QueueSize,
                DiscardOldest = true,
            }).ToArray();
            var nodes = await subscription.AddAsync(requests, cancellationToken);
            foreach (var node in nodes)
            {
                if (node.Status.IsGood) monitored[node.Node] = node;
                else refused++;
            }
        }
        if (refused > 0) LogRefused(logger, options.Url, refused);
    }

    private async Task RebrowseAsync(OpcUaClient client, OpcUaSubscription subscription, ConcurrentDictionary<NodeId, MonitoredNode> monitored, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.BrowseInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    var variables = await BrowseAsync(client, cancellationToken);
                    var added = variables.Where(v => !monitored.ContainsKey(v.Node)).ToList();
                    var current = variables.Select(v => v.Node).ToHashSet();
                    var removed = monitored.Where(m => !current.Contains(m.Key)).Select(m => m.Value).ToList();
                    if (added.Count > 0) await AddItemsAsync(subscription, added, monitored, cancellationToken);
                    if (removed.Count > 0)
                    {
                        await subscription.RemoveAsync(removed, cancellationToken);
                        foreach (var node in removed) monitored.TryRemove(node.Node, out _);
                    }
                    if (added.Count + removed.Count > 0) LogTreeChanged(logger, options.Url, added.Count, removed.Count);
                }
                catch (Exception ex) when (ex is OpcUaException or IOException or TimeoutException)
                {
                    // The live stream goes on with the variables it has; the next browse tries again.
                    LogRebrowseFailed(logger, options.Url, ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ReadChangesAsync(OpcUaClient client, OpcUaSubscription subscription, CancellationToken cancellationToken)
    {
        var pending = new List<Sample>();
        var burst = new List<Arrival>();
        await using var changes = subscription.ReadAllAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            var next = changes.MoveNextAsync();
            // What arrived together is handled together (so gaps revealed at once are back-filled in shared requests),
            // and queued whenever the stream has nothing more at hand, so batches form without a timer.
            if (burst.Count > 0 && (!next.IsCompleted || burst.Count >= MaxBurst))
            {
                await HandleBurstAsync(client, burst, pending, cancellationToken);
                burst.Clear();
                Flush(pending);
            }
            if (!await next) break;
            var change = changes.Current;
            if (!_variables.TryGetValue(change.Item.Node, out var variable)) continue;
            burst.Add(new Arrival(variable, change.Value, change.GapBefore || ValueConverter.Overflowed(change.Value.Status)));
        }
        await HandleBurstAsync(client, burst, pending, cancellationToken);
        Flush(pending);
    }

    private async Task PollAsync(OpcUaClient client, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.PollInterval, time);
        var pending = new List<Sample>();
        var burst = new List<Arrival>();
        var lastBrowse = time.GetTimestamp();
        do
        {
            if (time.GetElapsedTime(lastBrowse) >= options.BrowseInterval)
            {
                await BrowseAsync(client, cancellationToken);
                lastBrowse = time.GetTimestamp();
            }
            foreach (var chunk in _variables.Values.Chunk(1000))
            {
                var values = await client.ReadAsync([.. chunk.Select(v => new ReadValueId { NodeId = v.Node, AttributeId = (uint)AttributeId.Value })], TimestampsToReturn.Both, cancellationToken);
                for (var i = 0; i < chunk.Length && i < values.Length; i++)
                {
                    // A value read again unchanged is the same sample; only a new source timestamp is a new value.
                    var stamp = ValueConverter.Timestamp(values[i], time.GetUtcNow().UtcDateTime);
                    if (chunk[i].Seen && chunk[i].LastTimestamp is { } last && stamp <= last) continue;
                    burst.Add(new Arrival(chunk[i], values[i], false));
                }
                await HandleBurstAsync(client, burst, pending, cancellationToken);
                burst.Clear();
            }
            Flush(pending);
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    /// <summary>
    /// Queues values that arrived together, in their order. The gaps their first values reveal (first value of a
    /// session, a possible loss) are back-filled first, for all variables in shared requests; a later value of the
    /// same burst that reveals another gap is back-filled on its own.
    /// </summary>
    private async Task HandleBurstAsync(OpcUaClient client, List<Arrival> burst, List<Sample> pending, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var firsts = new HashSet<ScrapedVariable>();
        var ranges = new List<BackfillRange>();
        foreach (var arrival in burst)
        {
            if (firsts.Add(arrival.Variable) && GapBefore(arrival, now) is { } range) ranges.Add(range);
        }
        var filled = new HashSet<ScrapedVariable>();
        IReadOnlySet<ScrapedVariable> interrupted = new HashSet<ScrapedVariable>();
        if (ranges.Count > 0)
        {
            Flush(pending);
            interrupted = await _backfill.FillAsync(client, ranges, pending, Flush, cancellationToken);
            foreach (var range in ranges) filled.Add(range.Variable);
        }
        foreach (var arrival in burst)
        {
            if (filled.Remove(arrival.Variable))
            {
                // Not closed yet (the connection went while reading history): this value lies inside the range the next
                // attempt reads, so it is not queued now, which keeps the variable's values in time order.
                if (interrupted.Contains(arrival.Variable)) arrival.Variable.BackfillPending = true;
                else Accept(arrival.Variable, arrival.Value, ValueConverter.Timestamp(arrival.Value, now), now, pending);
                continue;
            }
            await HandleValueAsync(client, arrival, pending, cancellationToken);
        }
    }

    private async Task HandleValueAsync(OpcUaClient client, Arrival arrival, List<Sample> pending, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (GapBefore(arrival, now) is { } range)
        {
            Flush(pending);
            if ((await _backfill.FillAsync(client, [range], pending, Flush, cancellationToken)).Count > 0)
            {
                arrival.Variable.BackfillPending = true;
                return;
            }
        }
        if (ValueConverter.IsNoValueYet(arrival.Value))
        {
            // Keep the gap open: the first real value triggers the back-fill.
            if (arrival.Gap) arrival.Variable.BackfillPending = true;
            return;
        }
        Accept(arrival.Variable, arrival.Value, ValueConverter.Timestamp(arrival.Value, now), now, pending);
    }

    /// <summary>The values missing before <paramref name="arrival"/>, when it reveals a gap that history can fill.</summary>
    private BackfillRange? GapBefore(Arrival arrival, DateTime now)
    {
        var variable = arrival.Variable;
        if (ValueConverter.IsNoValueYet(arrival.Value) || !options.Backfill || variable.NoHistory) return null;
        if (!(arrival.Gap || !variable.Seen || variable.BackfillPending)) return null;
        var stamp = ValueConverter.Timestamp(arrival.Value, now);
        return (variable.LastTimestamp ?? variable.StoredTimestamp) is { } from && stamp > from ? new BackfillRange(variable, from, stamp) : null;
    }

    private void Accept(ScrapedVariable variable, DataValue value, DateTime stamp, DateTime now, List<Sample> pending)
    {
        variable.Seen = true;
        variable.BackfillPending = false;
        if (ValueConverter.AddSamples(variable, value, stamp, pending))
        {
            ScraperMetrics.ValuesReceived.WithLabels(options.Url).Inc();
            ScraperMetrics.Lag.WithLabels(options.Url).Set(Math.Max(0, (now - stamp).TotalSeconds));
        }
        if (variable.LastTimestamp is not { } previous || stamp > previous) variable.LastTimestamp = stamp;
    }

    // Values handled together at most; a start-up's first values of every variable are one burst up to this.
    private const int MaxBurst = 10_000;

    private void Flush(List<Sample> pending)
    {
        if (pending.Count == 0) return;
        queue.Add(pending);
        pending.Clear();
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "Collecting {Url} from {Root}: {Count} variables, mode {Mode}")]
    private static partial void LogCollecting(ILogger logger, string url, string root, int count, CollectionMode mode);

    [LoggerMessage(EventId = 701, Level = LogLevel.Information, Message = "Browsed {Url}: {Nodes} nodes, {Variables} numeric or boolean variables and properties collected, {Skipped} of other types skipped ({SkippedByType})")]
    private static partial void LogBrowsed(ILogger logger, string url, int nodes, int variables, int skipped, string skippedByType);

    [LoggerMessage(EventId = 702, Level = LogLevel.Warning, Message = "Browsing {Url} stopped at {MaxNodes} nodes (MaxNodes); nodes beyond are not collected")]
    private static partial void LogTruncated(ILogger logger, string url, int maxNodes);

    [LoggerMessage(EventId = 719, Level = LogLevel.Information, Message = "Connected to {Url} ({Policy}, {Mode}) with a session")]
    private static partial void LogConnected(ILogger logger, string url, string? policy, MessageSecurityMode mode);

    [LoggerMessage(EventId = 703, Level = LogLevel.Warning, Message = "Lost the connection to {Url}: {Problem}. The client reconnects with backoff and restores the subscription; the gap is back-filled from history")]
    private static partial void LogConnectionLost(ILogger logger, string url, string problem);

    [LoggerMessage(EventId = 704, Level = LogLevel.Information, Message = "Reconnected to {Url} (new session: {SessionRecreated})")]
    private static partial void LogReconnected(ILogger logger, string url, bool sessionRecreated);

    [LoggerMessage(EventId = 708, Level = LogLevel.Warning, Message = "The database did not say within {TimeoutSeconds} s what it holds for {Url} ({Problem}); collecting without a start-up back-fill")]
    private static partial void LogNoStoredLookup(ILogger logger, string url, double timeoutSeconds, string problem);

    [LoggerMessage(EventId = 709, Level = LogLevel.Warning, Message = "{Url} refused {Count} monitored items; those variables are not collected")]
    private static partial void LogRefused(ILogger logger, string url, int count);

    [LoggerMessage(EventId = 710, Level = LogLevel.Information, Message = "The tree of {Url} changed: {Added} variables added, {Removed} removed")]
    private static partial void LogTreeChanged(ILogger logger, string url, int added, int removed);

    [LoggerMessage(EventId = 711, Level = LogLevel.Warning, Message = "Re-browsing {Url} failed: {Problem}; collecting the known variables, trying again at the next interval")]
    private static partial void LogRebrowseFailed(ILogger logger, string url, string problem);

    [LoggerMessage(EventId = 745, Level = LogLevel.Warning, Message = "Collecting the events of {Url} failed: {Problem}; its values are collected on, events again with the next session")]
    private static partial void LogEventsFailed(ILogger logger, string url, string problem);

    /// <summary>A value as it arrived, and whether the transport said values may be missing before it.</summary>
    private sealed record Arrival(ScrapedVariable Variable, DataValue Value, bool Gap);
}
