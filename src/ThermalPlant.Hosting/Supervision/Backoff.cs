namespace ThermalPlant.Hosting.Supervision;

/// <summary>A doubling delay between attempts, with jitter so that many sources do not retry in step.</summary>
/// <param name="minimum">The first wait.</param>
/// <param name="maximum">The longest wait.</param>
public sealed class Backoff(TimeSpan minimum, TimeSpan maximum)
{
    private readonly TimeSpan _minimum = minimum;
    private TimeSpan _next = minimum;

    /// <summary>The wait before the next attempt; each call doubles the following one up to the maximum.</summary>
    public TimeSpan Next()
    {
        var current = _next;
        _next = TimeSpan.FromTicks(Math.Min(maximum.Ticks, current.Ticks * 2));
        return TimeSpan.FromTicks((long)(current.Ticks * (0.8 + (0.4 * Random.Shared.NextDouble()))));
    }

    /// <summary>Starts again from the minimum (after an attempt worked).</summary>
    public void Reset() => _next = _minimum;
}
