using System.Collections.Concurrent;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ThermalPlant.Analytics.Service.Sources;

/// <summary>
/// The sessions to the analysed endpoints, for <c>/health/ready</c>: ready once every endpoint was subscribed once;
/// degraded (still serving what it has) while any endpoint is down.
/// </summary>
internal sealed class EndpointHealth : IHealthCheck
{
    private readonly ConcurrentDictionary<string, (bool Up, string? Problem)> _states = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _everUp = new(StringComparer.Ordinal);
    private int _expected;

    /// <summary>How many endpoints must have been subscribed once before the service is ready.</summary>
    public void Expect(int endpoints) => _expected = endpoints;

    /// <summary>Records whether the endpoint's session works now, and why not.</summary>
    public void Report(string url, bool up, string? problem = null)
    {
        _states[url] = (up, problem);
        if (up) _everUp[url] = true;
    }

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var down = _states.Where(s => !s.Value.Up).ToDictionary(s => s.Key, s => (object)(s.Value.Problem ?? "down"), StringComparer.Ordinal);
        if (_everUp.Count < _expected) return Task.FromResult(HealthCheckResult.Unhealthy($"{_everUp.Count} of {_expected} endpoints subscribed so far", data: down));
        return Task.FromResult(down.Count == 0
            ? HealthCheckResult.Healthy("every endpoint is subscribed")
            : HealthCheckResult.Degraded($"{down.Count} endpoint(s) down; their results are Bad until they answer", data: down));
    }
}
