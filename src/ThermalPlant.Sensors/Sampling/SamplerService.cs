namespace ThermalPlant.Sensors.Sampling;

/// <summary>
/// A background loop that samples its devices at an interval read anew every cycle (so settings changed at
/// run time apply from the next sample). A failing sample never ends the loop.
/// </summary>
internal abstract partial class SamplerService(TimeProvider time, ILogger logger) : BackgroundService
{
    protected TimeProvider Time => time;

    /// <summary>The wait before the next cycle.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>One cycle: read the devices and publish readings (good or bad).</summary>
    protected abstract ValueTask SampleAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SampleAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogCycleFailed(GetType().Name, ex);
            }
            await Task.Delay(Interval, time, stoppingToken);
        }
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Error, Message = "A {Sampler} cycle failed; the loop goes on with the next cycle")]
    private partial void LogCycleFailed(string sampler, Exception exception);
}
