namespace ThermalPlant.Sensors.Sampling;

/// <summary>When the service started, for <c>/status</c>.</summary>
internal sealed class ServiceClock(TimeProvider time)
{
    public DateTimeOffset StartedAt { get; } = time.GetUtcNow();

    public TimeSpan Uptime => time.GetUtcNow() - StartedAt;
}
