using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;
using ThermalPlant.OpcServer.Dmz;

namespace ThermalPlant.OpcServer.Plant;

/// <summary>
/// Reads the catalog through the DMZ at start and whenever it changes, and polls <c>/readings</c> once per interval
/// for each sensor group (one request for all of a group's sensors). A failed poll turns the group's variables Bad
/// at once; the next good one turns them Good again.
/// </summary>
internal sealed partial class PlantPoller(
    SensorsClient sensors,
    PlantNodes nodes,
    PlantAlarms alarms,
    IOptions<OpcServerOptions> options,
    TimeProvider time,
    ILogger<PlantPoller> logger) : BackgroundService
{
    private TaskCompletionSource _catalogWanted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _catalogLoaded;

    /// <summary>Whether the catalog was read once, so the tree exists (readiness).</summary>
    public bool CatalogLoaded => _catalogLoaded;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var named = new HashSet<string>(settings.GroupPollIntervals.Keys, StringComparer.OrdinalIgnoreCase);
        var loops = new List<Task> { CatalogLoopAsync(settings, stoppingToken) };
        loops.Add(PollLoopAsync("default", settings.PollInterval, group => !named.Contains(group), stoppingToken));
        foreach (var (group, interval) in settings.GroupPollIntervals)
        {
            loops.Add(PollLoopAsync(group, interval, g => string.Equals(g, group, StringComparison.OrdinalIgnoreCase), stoppingToken));
        }
        return Task.WhenAll(loops);
    }

    private async Task CatalogLoopAsync(OpcServerOptions settings, CancellationToken cancellationToken)
    {
        string? version = null;
        var retry = TimeSpan.FromMilliseconds(200);
        while (!cancellationToken.IsCancellationRequested)
        {
            var wait = settings.CatalogRefreshInterval;
            try
            {
                var catalog = await sensors.GetCatalogAsync(cancellationToken);
                if (catalog.Version is null || catalog.Version != version || !_catalogLoaded)
                {
                    var (added, removed) = nodes.Apply(catalog);
                    version = catalog.Version;
                    OpcServerMetrics.CatalogChanges.WithLabels("added").Inc(added);
                    OpcServerMetrics.CatalogChanges.WithLabels("removed").Inc(removed);
                    if (added + removed > 0) LogCatalogApplied(catalog.Sensors.Count, added, removed, version);
                }
                _catalogLoaded = true;
                retry = TimeSpan.FromMilliseconds(200);
            }
            catch (Exception ex) when (IsDmzFailure(ex) && !cancellationToken.IsCancellationRequested)
            {
                LogCatalogFailed(ex.Message);
                if (!_catalogLoaded)
                {
                    // Without the catalog there is no tree: try again soon, backing off to the refresh interval.
                    wait = retry;
                    retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, settings.CatalogRefreshInterval.Ticks));
                }
            }
            var wanted = _catalogWanted.Task;
            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            await Task.WhenAny(wanted, Task.Delay(wait, time, waiting.Token));
            await waiting.CancelAsync();
            if (cancellationToken.IsCancellationRequested) return;
            if (wanted.IsCompleted) _catalogWanted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    private async Task PollLoopAsync(string group, TimeSpan interval, Func<string, bool> inGroup, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        var failing = false;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (!_catalogLoaded) continue;
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    // A poll never runs into the next one, so a dead DMZ turns values Bad within two intervals.
                    bound.CancelAfter(interval);
                    var readings = await sensors.GetReadingsAsync(bound.Token);
                    // The system event comes before the alarms it explains clear.
                    if (failing)
                    {
                        LogRecovered(group);
                        alarms.ServiceBack(group);
                    }
                    failing = false;
                    if (!nodes.Knows(readings)) RequestCatalog();
                    nodes.ApplyReadings(readings, inGroup);
                    OpcServerMetrics.Polls.WithLabels(group, "ok").Inc();
                }
                catch (Exception ex) when (IsDmzFailure(ex) && !cancellationToken.IsCancellationRequested)
                {
                    OpcServerMetrics.Polls.WithLabels(group, "failed").Inc();
                    if (!failing)
                    {
                        LogUnreachable(group, ex.Message);
                        alarms.ServiceLost(group, ex.Message);
                    }
                    failing = true;
                    nodes.MarkUnreachable(inGroup);
                }
                finally
                {
                    OpcServerMetrics.PollDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void RequestCatalog() => _catalogWanted.TrySetResult();

    private static bool IsDmzFailure(Exception ex) =>
        ex is HttpRequestException or OperationCanceledException or TimeoutRejectedException or BrokenCircuitException or JsonException;

    [LoggerMessage(Level = LogLevel.Information, Message = "Catalog of {Sensors} sensors applied (version {Version}): {Added} variables added, {Removed} removed")]
    private partial void LogCatalogApplied(int sensors, int added, int removed, string? version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot read the sensor catalog through the DMZ ({Reason}); trying again")]
    private partial void LogCatalogFailed(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Group {Group}: the DMZ cannot be read ({Reason}); its variables are BadCommunicationError until it answers")]
    private partial void LogUnreachable(string group, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Group {Group}: the DMZ answers again; values are live")]
    private partial void LogRecovered(string group);
}
