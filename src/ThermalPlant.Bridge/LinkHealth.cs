using System.Collections.Concurrent;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ThermalPlant.Control.Sources;
using ThermalPlant.Hosting.Supervision;

namespace ThermalPlant.Bridge;

/// <summary>
/// The state of every control link and its source, for <c>/health/ready</c> and <c>/metrics</c>: not ready until
/// every link has started once (its calibration table loaded); degraded (still serving, the links holding or
/// ramping as configured) while a link is down or its source is not connected.
/// </summary>
internal sealed class LinkHealth : IHealthCheck, ISupervisedConnections
{
    private readonly ConcurrentDictionary<string, (bool Up, string? Problem)> _states = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _started = new(StringComparer.Ordinal);

    /// <summary>The health entry of a link's source.</summary>
    public static string SourceName(string link) => $"{link} source";

    /// <summary>Records that <paramref name="link"/> is configured and about to start.</summary>
    public void Starting(string link)
    {
        _started[link] = false;
        _states[link] = (false, "starting");
        BridgeMetrics.Register(link);
    }

    /// <summary>Records that <paramref name="link"/> runs: its table is loaded, its source and device are open.</summary>
    public void Running(string link)
    {
        _started[link] = true;
        _states[link] = (true, null);
        BridgeMetrics.LinkRunning.WithLabels(link).Set(1);
    }

    /// <summary>Records a change of <paramref name="link"/>'s source connection.</summary>
    public void SourceChanged(string link, SourceConnectionState state, string? problem)
    {
        _states[SourceName(link)] = (state == SourceConnectionState.Connected, problem ?? BridgeMetrics.Label(state));
        BridgeMetrics.SetSourceState(link, state);
        if (state == SourceConnectionState.Backoff) BridgeMetrics.SourceFailures.WithLabels(link).Inc();
    }

    /// <inheritdoc />
    public void Failed(string name, string problem)
    {
        _states[name] = (false, problem);
        BridgeMetrics.LinkRunning.WithLabels(name).Set(0);
        BridgeMetrics.LinkFailures.WithLabels(name).Inc();
    }

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var down = _states.Where(s => !s.Value.Up).ToDictionary(s => s.Key, s => (object)(s.Value.Problem ?? "down"), StringComparer.Ordinal);
        var waiting = _started.Count(s => !s.Value);
        if (waiting > 0)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"{waiting} control link(s) have not started yet", data: down));
        }
        return Task.FromResult(down.Count == 0
            ? HealthCheckResult.Healthy("every control link runs and its source is connected")
            : HealthCheckResult.Degraded($"{down.Count} link(s) or source(s) down; the links hold or ramp to their safe values as configured", data: down));
    }
}
