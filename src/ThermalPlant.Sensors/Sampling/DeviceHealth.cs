namespace ThermalPlant.Sensors.Sampling;

/// <summary>What <c>/status</c> shows of one sensor: when it last answered, and its last error.</summary>
internal sealed record DeviceHealth
{
    public required string Sensor { get; init; }
    public required bool Healthy { get; init; }
    public DateTimeOffset? LastSuccess { get; init; }
    public string? LastFault { get; init; }
    public string? LastError { get; init; }
    public DateTimeOffset? LastErrorAt { get; init; }
    public int ConsecutiveFailures { get; init; }
    public long Samples { get; init; }
    public long Failures { get; init; }
}
