using System.Collections.Concurrent;
using Prometheus;

namespace ThermalPlant.Sensors.Sampling;

/// <summary>Tracks, per sensor, successes and failures of sampling; feeds <c>/status</c>, <c>/health/*</c> and metrics.</summary>
internal sealed class DeviceHealthRegistry
{
    private static readonly Counter SamplesTotal = Metrics.CreateCounter(
        "thermalplant_sensors_samples_total", "Samples taken, by sensor and result.", "sensor", "result");

    private readonly ConcurrentDictionary<string, DeviceHealth> _health = new(StringComparer.Ordinal);

    public void RecordSuccess(string sensor, DateTimeOffset at)
    {
        SamplesTotal.WithLabels(sensor, "good").Inc();
        _health.AddOrUpdate(sensor,
            static (s, at) => new DeviceHealth { Sensor = s, Healthy = true, LastSuccess = at, Samples = 1 },
            static (_, old, at) => old with { Healthy = true, LastSuccess = at, ConsecutiveFailures = 0, Samples = old.Samples + 1 },
            at);
    }

    public void RecordFailure(string sensor, string fault, string message, DateTimeOffset at)
    {
        SamplesTotal.WithLabels(sensor, fault).Inc();
        _health.AddOrUpdate(sensor,
            static (s, f) => new DeviceHealth { Sensor = s, Healthy = false, LastFault = f.fault, LastError = f.message, LastErrorAt = f.at, ConsecutiveFailures = 1, Samples = 1, Failures = 1 },
            static (_, old, f) => old with
            {
                Healthy = false,
                LastFault = f.fault,
                LastError = f.message,
                LastErrorAt = f.at,
                ConsecutiveFailures = old.ConsecutiveFailures + 1,
                Samples = old.Samples + 1,
                Failures = old.Failures + 1,
            },
            (fault, message, at));
    }

    public DeviceHealth? Get(string sensor) => _health.TryGetValue(sensor, out var health) ? health : null;

    public IReadOnlyList<DeviceHealth> All() => [.. _health.Values.OrderBy(h => h.Sensor, StringComparer.Ordinal)];
}
