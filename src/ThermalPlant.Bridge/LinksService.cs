using Microsoft.Extensions.Options;
using ThermalPlant.Hosting.Supervision;

namespace ThermalPlant.Bridge;

/// <summary>Starts every configured control link under its own supervisor: one link failing never stops another.</summary>
internal sealed partial class LinksService(
    IOptions<BridgeOptions> options,
    Supervisor supervisor,
    LinkHealth health,
    TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var config = options.Value;
        var loops = new List<Task>(config.Links.Count);
        foreach (var link in config.Links)
        {
            var runner = new ControlLinkRunner(link, health, time, loggers);
            health.Starting(runner.Name);
            loops.Add(supervisor.RunAsync(runner.Name, runner.RunAsync, config.RestartMinDelay, config.RestartMaxDelay, stoppingToken));
        }
        var logger = loggers.CreateLogger<LinksService>();
        var names = string.Join(", ", config.Links.Select(l => l.Name));
        LogStarted(logger, config.Links.Count, names);
        return Task.WhenAll(loops);
    }

    [LoggerMessage(EventId = 900, Level = LogLevel.Information, Message = "Bridge started: {Count} control links ({Links}), each supervised on its own")]
    private static partial void LogStarted(ILogger logger, int count, string links);
}
