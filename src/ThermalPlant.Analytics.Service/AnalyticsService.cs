using Microsoft.Extensions.Options;
using NATS.Client.JetStream;
using Prometheus;
using ThermalPlant.Analytics.Service.Engine;
using ThermalPlant.Analytics.Service.Server;
using ThermalPlant.Analytics.Service.Sources;
using ThermalPlant.Analytics.Service.State;
using ThermalPlant.OpcUa.Server;

namespace ThermalPlant.Analytics.Service;

/// <summary>
/// Runs the service for the host's lifetime: reads the state file back, opens the results endpoint, subscribes to every
/// configured endpoint (or, with <c>Analytics:Source = Nats</c>, reads every configured site from the JetStream stream),
/// and writes the state file every <see cref="AnalyticsOptions.StateSaveInterval"/> and on stop,
/// and the served history's file every second and on stop.
/// </summary>
internal sealed partial class AnalyticsService(
    OpcUaServer server,
    ServedHistory history,
    AnalyticsEngine engine,
    DiagnosisAlarms alarms,
    EndpointHealth health,
    IOptions<AnalyticsOptions> options,
    TimeProvider time,
    ILoggerFactory loggers,
    ILogger<AnalyticsService> logger) : BackgroundService
{
    private readonly AnalyticsOptions _settings = options.Value;
    private volatile bool _stopped;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(_settings.StatePath))
        {
            try
            {
                var saved = StateFile.Load(_settings.StatePath);
                var diagnosers = engine.Restore(saved);
                LogRestored(_settings.StatePath, saved.Detectors.Count, diagnosers);
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                // A state file that cannot be read costs the learning, not the service.
                LogStateUnreadable(_settings.StatePath, ex.Message);
            }
        }
        engine.DiagnosisChanged += alarms.OnDiagnosisChanged;
        server.AccessDenied += denied => LogAccessDenied(denied.Service, denied.UserName, denied.Role, denied.Status.ToString(), denied.Reason);
        server.Start();
        Metrics.DefaultRegistry.AddBeforeCollectCallback(CollectWhileRunning);
        var sources = _settings.Source == AnalyticsSourceKind.Nats ? _settings.Nats.Sites.Count : _settings.Sources.Count;
        LogListening(_settings.ListenAddress, server.Port, _settings.EndpointPath, sources, _settings.Source == AnalyticsSourceKind.Nats ? "NATS site(s)" : "OPC UA endpoint(s)", history.File?.Loaded ?? 0);
        health.Expect(sources);
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopped = true;
        await base.StopAsync(cancellationToken);
        Save();
        await server.DisposeAsync();
        if (history.File is not null) await history.File.DisposeAsync();
    }

    // prometheus-net keeps a before-collect callback for the life of the process: a stopped service (a test process runs
    // several, one after another) must not write its figures over those of the one running now.
    private void CollectWhileRunning()
    {
        if (!_stopped) engine.Collect();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_settings.Source == AnalyticsSourceKind.Nats)
        {
            await using var connection = _settings.Nats.Connect("thermalplant-analytics", loggers);
            var js = new NatsJSContext(connection);
            await RunAsync(_settings.Nats.Sites.Select(site => new NatsSiteReader(_settings.Nats, site, engine, health, time, loggers.CreateLogger<NatsSiteReader>()).RunAsync(js, stoppingToken)), stoppingToken);
            return;
        }
        await RunAsync(_settings.Sources.Select(endpoint => new EndpointSubscriber(endpoint, engine, health, time, loggers.CreateLogger<EndpointSubscriber>()).RunAsync(stoppingToken)), stoppingToken);
    }

    private async Task RunAsync(IEnumerable<Task> readers, CancellationToken stoppingToken)
    {
        var loops = readers.ToList();
        loops.Add(SaveLoopAsync(stoppingToken));
        loops.Add(FlushHistoryLoopAsync(stoppingToken));
        await Task.WhenAll(loops);
    }

    private async Task SaveLoopAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(_settings.StatePath)) return;
        using var timer = new PeriodicTimer(_settings.StateSaveInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken)) Save();
        }
        catch (OperationCanceledException)
        {
        }
    }

    // As the plant server does: buffered history appends reach the file every second, so a crash loses at most that.
    private async Task FlushHistoryLoopAsync(CancellationToken cancellationToken)
    {
        if (history.File is null) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await history.File.FlushAsync(cancellationToken);
                }
                catch (IOException ex)
                {
                    LogHistoryFlushFailed(_settings.HistoryPath, ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Save()
    {
        if (string.IsNullOrEmpty(_settings.StatePath)) return;
        try
        {
            var bytes = StateFile.Save(_settings.StatePath, new SavedState(engine.DetectorStates(), engine.DiagnoserStates()));
            AnalyticsMetrics.StateSaves.WithLabels("ok").Inc();
            AnalyticsMetrics.StateBytes.Set(bytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            AnalyticsMetrics.StateSaves.WithLabels("failed").Inc();
            LogSaveFailed(_settings.StatePath, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Analytics OPC UA endpoint listening on {Address}:{Port}{Path}; analysing {Sources} {SourceKind}; {Loaded} history values read back")]
    private partial void LogListening(string address, int port, string path, int sources, string sourceKind, int loaded);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing the history file {Path} failed ({Reason}); values stay in memory and writing is tried again")]
    private partial void LogHistoryFlushFailed(string path, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "State read back from {Path}: {Detectors} detectors (each taken up when its tag is subscribed) and {Diagnosers} diagnosers go on from where they were")]
    private partial void LogRestored(string path, int detectors, int diagnosers);

    [LoggerMessage(Level = LogLevel.Warning, Message = "State file {Path} cannot be read ({Reason}); every tag learns again, and the next save replaces the file")]
    private partial void LogStateUnreadable(string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing the state file {Path} failed ({Reason}); the state stays in memory and writing is tried again")]
    private partial void LogSaveFailed(string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OPC UA {Service} refused for user {UserName} (role {Role}): {Status}, {Reason}")]
    private partial void LogAccessDenied(string service, string? userName, string? role, string status, string reason);
}
