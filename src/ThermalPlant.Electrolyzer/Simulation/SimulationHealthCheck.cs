using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace ThermalPlant.Electrolyzer.Simulation;

/// <summary>Ready while the model advances: a step loop that stopped would serve frozen registers.</summary>
internal sealed class SimulationHealthCheck(PemelSimulator simulator, IOptions<ElectrolyzerOptions> options, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var age = time.GetUtcNow() - simulator.LastUpdate;
        var allowed = options.Value.StepInterval * 10;
        return Task.FromResult(age <= allowed
            ? HealthCheckResult.Healthy($"advanced {age.TotalMilliseconds:F0} ms ago")
            : HealthCheckResult.Unhealthy($"the model has not advanced for {age.TotalSeconds:F1} s"));
    }
}
