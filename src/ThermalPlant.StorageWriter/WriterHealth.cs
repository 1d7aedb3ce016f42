using System.Collections.Concurrent;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ThermalPlant.StorageWriter;

/// <summary>For <c>/health/ready</c>: ready once the stream is set up; degraded while a link (NATS, a shard's database) is down.</summary>
internal sealed class WriterHealth : IHealthCheck
{
    private readonly ConcurrentDictionary<string, (bool Up, string? Problem)> _states = new(StringComparer.Ordinal);
    private volatile bool _ready;

    /// <summary>The stream and consumers exist.</summary>
    public void MarkReady() => _ready = true;

    /// <summary>Records whether <paramref name="name"/> works now, and why not.</summary>
    public void Report(string name, bool up, string? problem = null) => _states[name] = (up, problem);

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var down = _states.Where(s => !s.Value.Up).ToDictionary(s => s.Key, s => (object)(s.Value.Problem ?? "down"), StringComparer.Ordinal);
        if (!_ready) return Task.FromResult(HealthCheckResult.Unhealthy("the stream and its consumers are not set up yet", data: down));
        return Task.FromResult(down.Count == 0
            ? HealthCheckResult.Healthy("every link works")
            : HealthCheckResult.Degraded($"{down.Count} link(s) down; messages stay in the stream and are retried", data: down));
    }
}
