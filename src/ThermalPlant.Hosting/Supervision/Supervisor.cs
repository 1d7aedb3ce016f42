using Microsoft.Extensions.Logging;

namespace ThermalPlant.Hosting.Supervision;

/// <summary>
/// Runs one connection loop (an endpoint, a device, a link, the database) for the life of the host: when it fails,
/// the failure is logged and counted and the loop starts again after a backoff. A loop that ran longer than the
/// longest backoff worked for a while, so its next failure starts the backoff from the minimum again. One loop's
/// failures never touch another's. Each failure is reported to the host's <see cref="ISupervisedConnections"/>
/// (its health check and metrics).
/// </summary>
/// <param name="logger">Where failures and retries are logged.</param>
/// <param name="time">Clock of the backoff.</param>
/// <param name="connections">Told of every failure.</param>
public sealed partial class Supervisor(ILogger<Supervisor> logger, TimeProvider time, ISupervisedConnections connections)
{
    /// <summary>Runs <paramref name="loop"/> until <paramref name="cancellationToken"/> fires.</summary>
    /// <param name="name">The source's name in logs, metrics and health (e.g. <c>opcua opc.tcp://host:4840/</c>).</param>
    /// <param name="loop">Runs the connection; it returns or throws when the connection is over.</param>
    /// <param name="minDelay">The first wait after a failure.</param>
    /// <param name="maxDelay">The longest wait.</param>
    /// <param name="cancellationToken">Stops the loop.</param>
    public async Task RunAsync(string name, Func<CancellationToken, Task> loop, TimeSpan minDelay, TimeSpan maxDelay, CancellationToken cancellationToken)
    {
        var backoff = new Backoff(minDelay, maxDelay);
        while (!cancellationToken.IsCancellationRequested)
        {
            var started = time.GetTimestamp();
            string problem;
            try
            {
                await loop(cancellationToken);
                problem = "the loop ended";
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Any failure of one source is contained here: it is retried, and the other sources never see it.
                problem = ex.Message;
                LogFailedWithException(logger, name, ex);
            }
            if (time.GetElapsedTime(started) > maxDelay) backoff.Reset();
            var delay = backoff.Next();
            connections.Failed(name, problem);
            LogRetrying(logger, name, problem, delay.TotalSeconds);
            try
            {
                await Task.Delay(delay, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Debug, Message = "{Source} failed")]
    private static partial void LogFailedWithException(ILogger logger, string source, Exception exception);

    [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "{Source} failed: {Problem}. The others go on; retrying in {DelaySeconds:F1} s")]
    private static partial void LogRetrying(ILogger logger, string source, string problem, double delaySeconds);
}
