using System.Collections.Concurrent;
using ThermalPlant.Analytics.Service.Engine;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Types;
using StatusCodes = ThermalPlant.OpcUa.Generated.StatusCodes;

namespace ThermalPlant.Analytics.Service.Sources;

/// <summary>
/// Feeds one endpoint's numeric variables to the engine: connects and opens a session (the client re-establishes a
/// lost connection and restores the subscription by itself), browses, subscribes to every variable found, browses
/// again periodically for added and removed ones, and hands each burst of data changes to the engine in arrival
/// order. A failed session turns the endpoint's served results Bad and starts again after a backoff.
/// </summary>
internal sealed partial class EndpointSubscriber(
    AnalyticsEndpointOptions options,
    AnalyticsEngine engine,
    EndpointHealth health,
    TimeProvider time,
    ILogger<EndpointSubscriber> logger)
{
    private const int MaxBurst = 4096;

    private readonly VariableBrowser _browser = new(options);
    private readonly ConcurrentDictionary<NodeId, AnalyzedTag> _tags = new();

    /// <summary>Runs sessions until <paramref name="cancellationToken"/> fires, waiting longer after each failure.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var delay = options.ReconnectMinDelay;
        while (!cancellationToken.IsCancellationRequested)
        {
            var started = time.GetTimestamp();
            string problem;
            try
            {
                await RunSessionAsync(cancellationToken);
                problem = "the subscription's stream ended";
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is OpcUaException or IOException or TimeoutException or System.Net.Sockets.SocketException or OperationCanceledException)
            {
                problem = ex.Message;
            }
            health.Report(options.Url, false, problem);
            AnalyticsMetrics.Connected.WithLabels(options.Url).Set(0);
            engine.MarkUnreachable(_tags.Values);
            // A session that lasted longer than the longest wait worked for a while: the next wait starts short again.
            if (time.GetElapsedTime(started) > options.ReconnectMaxDelay) delay = options.ReconnectMinDelay;
            LogRetrying(options.Url, problem, delay.TotalSeconds);
            try
            {
                await Task.Delay(delay, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            delay = TimeSpan.FromTicks(Math.Min(options.ReconnectMaxDelay.Ticks, delay.Ticks * 2));
        }
    }

    private async Task RunSessionAsync(CancellationToken cancellationToken)
    {
        var clientOptions = options.Security().ApplyTo(new OpcUaClientOptions
        {
            ApplicationName = "Thermal Plant analytics",
            ApplicationUri = "urn:thermalplant:analytics:client",
            RequestTimeout = options.RequestTimeout,
            ReconnectMinDelay = options.ReconnectMinDelay,
            ReconnectMaxDelay = options.ReconnectMaxDelay,
        });
        await using var client = await OpcUaClient.ConnectAsync(options.Url, clientOptions, time, cancellationToken: cancellationToken);
        client.ConnectionLost += ex =>
        {
            health.Report(options.Url, false, ex.Message);
            AnalyticsMetrics.Connected.WithLabels(options.Url).Set(0);
            engine.MarkUnreachable(_tags.Values);
            LogConnectionLost(options.Url, ex.Message);
        };
        client.Reconnected += recreated =>
        {
            health.Report(options.Url, true);
            AnalyticsMetrics.Connected.WithLabels(options.Url).Set(1);
            LogReconnected(options.Url, recreated);
        };
        await client.OpenSessionAsync("thermalplant-analytics", cancellationToken);
        var subscription = await client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = options.PublishingInterval.TotalMilliseconds }, cancellationToken);
        await using var _ = subscription;
        var monitored = new Dictionary<NodeId, MonitoredNode>();
        await SynchroniseAsync(client, subscription, monitored, cancellationToken);
        health.Report(options.Url, true);
        AnalyticsMetrics.Connected.WithLabels(options.Url).Set(1);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var rebrowse = RebrowseAsync(client, subscription, monitored, stop.Token);
        try
        {
            await ReadChangesAsync(subscription, cancellationToken);
        }
        finally
        {
            await stop.CancelAsync();
            await rebrowse;
        }
    }

    /// <summary>Browses, subscribes to what is new and unsubscribes what is gone; the monitored set is this loop's own.</summary>
    private async Task SynchroniseAsync(OpcUaClient client, OpcUaSubscription subscription, Dictionary<NodeId, MonitoredNode> monitored, CancellationToken cancellationToken)
    {
        var (found, truncated) = await _browser.BrowseAsync(client, cancellationToken);
        if (truncated) LogTruncated(options.Url, options.MaxVariables);
        var current = new HashSet<NodeId>();
        var added = new List<FoundVariable>();
        foreach (var variable in found)
        {
            current.Add(variable.Node);
            if (monitored.ContainsKey(variable.Node)) continue;
            if (engine.Register(options.Url, variable) is not { } tag) continue;
            _tags[variable.Node] = tag;
            added.Add(variable);
        }
        var refused = 0;
        foreach (var chunk in added.Chunk(1000))
        {
            var nodes = await subscription.AddAsync([.. chunk.Select(v => new MonitoredItemRequest(v.Node) { SamplingInterval = 0, QueueSize = (uint)options.QueueSize, DiscardOldest = true })], cancellationToken);
            foreach (var node in nodes)
            {
                if (node.Status.IsGood) monitored[node.Node] = node;
                else refused++;
            }
        }
        var removed = monitored.Where(m => !current.Contains(m.Key)).Select(m => m.Value).ToList();
        if (removed.Count > 0)
        {
            await subscription.RemoveAsync(removed, cancellationToken);
            foreach (var node in removed)
            {
                monitored.Remove(node.Node);
                if (_tags.TryRemove(node.Node, out var tag)) engine.MarkUnreachable([tag]);
            }
        }
        AnalyticsMetrics.Variables.WithLabels(options.Url).Set(monitored.Count);
        if (added.Count + removed.Count + refused > 0) LogSubscribed(options.Url, options.Root, monitored.Count, added.Count, removed.Count, refused);
    }

    private async Task RebrowseAsync(OpcUaClient client, OpcUaSubscription subscription, Dictionary<NodeId, MonitoredNode> monitored, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.BrowseInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await SynchroniseAsync(client, subscription, monitored, cancellationToken);
                }
                catch (Exception ex) when (ex is OpcUaException or IOException or TimeoutException)
                {
                    // The live stream goes on with the variables it has; the next browse tries again.
                    LogRebrowseFailed(options.Url, ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ReadChangesAsync(OpcUaSubscription subscription, CancellationToken cancellationToken)
    {
        var burst = new List<TagValue>();
        await using var changes = subscription.ReadAllAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            var next = changes.MoveNextAsync();
            // What arrived together is scored together (one lock, one cost measurement), as soon as the stream has
            // nothing more at hand.
            if (burst.Count > 0 && (!next.IsCompleted || burst.Count >= MaxBurst))
            {
                engine.Score(burst);
                burst.Clear();
            }
            if (!await next) break;
            var change = changes.Current;
            if (_tags.TryGetValue(change.Item.Node, out var tag)) burst.Add(new TagValue(tag, change.Value));
        }
        engine.Score(burst);
        throw new OpcUaException(StatusCodes.BadConnectionClosed, "the subscription's stream ended");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Url} ({Root}): {Count} numeric variables analysed ({Added} added, {Removed} removed, {Refused} refused by the server)")]
    private partial void LogSubscribed(string url, string root, int count, int added, int removed, int refused);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Url}: more numeric variables than MaxVariables ({Max}); the rest are not analysed")]
    private partial void LogTruncated(string url, int max);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Url}: browsing for changed variables failed ({Reason}); the subscription goes on, the next browse tries again")]
    private partial void LogRebrowseFailed(string url, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Url}: connection lost ({Reason}); its results are BadCommunicationError while the client reconnects")]
    private partial void LogConnectionLost(string url, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Url}: reconnected (subscription re-created: {Recreated}); scoring goes on")]
    private partial void LogReconnected(string url, bool recreated);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Url}: session failed ({Problem}); its results are BadCommunicationError, connecting again in {DelaySeconds:F1} s")]
    private partial void LogRetrying(string url, string problem, double delaySeconds);
}
