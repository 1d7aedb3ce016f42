using System.Collections.Concurrent;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ThermalPlant.Scraper.Supervision;

/// <summary>
/// The state of every supervised connection, for <c>/health/ready</c>: ready once the database schema is migrated;
/// degraded (still serving, still collecting) while any connection is down.
/// </summary>
internal sealed class SourceHealth : IHealthCheck, ISupervisedConnections
{
    private readonly ConcurrentDictionary<string, (bool Up, string? Problem)> _states = new(StringComparer.Ordinal);

    /// <summary>The database connection's name in health and logs.</summary>
    public const string Database = "database";

    private volatile bool _migrated;

    /// <summary>Set once the schema is migrated; until then the scraper is not ready.</summary>
    public void MarkMigrated() => _migrated = true;

    /// <summary>Records whether <paramref name="name"/> works now, and why not.</summary>
    public void Report(string name, bool up, string? problem = null) => _states[name] = (up, problem);

    /// <inheritdoc />
    public void Failed(string name, string problem)
    {
        Report(name, false, problem);
        ScraperMetrics.Connected.WithLabels(name).Set(0);
        ScraperMetrics.SourceFailures.WithLabels(name).Inc();
    }

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var down = _states.Where(s => !s.Value.Up).ToDictionary(s => s.Key, s => (object)(s.Value.Problem ?? "down"), StringComparer.Ordinal);
        if (!_migrated)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("the database schema is not migrated yet", data: down));
        }
        return Task.FromResult(down.Count == 0
            ? HealthCheckResult.Healthy("every connection works")
            : HealthCheckResult.Degraded($"{down.Count} connection(s) down; values are queued or retried", data: down));
    }
}
