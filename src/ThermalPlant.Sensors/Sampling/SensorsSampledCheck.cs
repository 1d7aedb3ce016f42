using Microsoft.Extensions.Diagnostics.HealthChecks;
using ThermalPlant.Sensors.Readings;

namespace ThermalPlant.Sensors.Sampling;

/// <summary>
/// Ready once every sensor in the catalog has been sampled. A sensor that reads bad does not make the
/// service unready: it still serves that reading, with its fault, which is what clients must see.
/// </summary>
internal sealed class SensorsSampledCheck(ReadingStore store, SensorCatalog catalog) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var missing = new List<string>();
        foreach (var descriptor in catalog.Current)
        {
            if (store.Get(descriptor.Sensor) is null) missing.Add(descriptor.Sensor);
        }
        return Task.FromResult(missing.Count == 0
            ? HealthCheckResult.Healthy("every sensor has a reading")
            : HealthCheckResult.Unhealthy($"not sampled yet: {string.Join(", ", missing)}"));
    }
}
