namespace ThermalPlant.Analytics.Scalar;

/// <summary>
/// Settings of the scalar detectors. The defaults need no tuning per series; a detector's state is only read back by
/// a detector made with the same settings.
/// </summary>
public sealed record ScalarDetectorOptions
{
    /// <summary>Samples seen before the first score (scores are 0 and the state is learning until then).</summary>
    public int LearningSamples { get; init; } = 200;

    /// <summary>Memory of the slow statistics, in samples: how long a new normal takes to be learned.</summary>
    public int SlowWindow { get; init; } = 500;

    /// <summary>Memory of the fast statistics, in samples: how many samples a shift or a change of variance needs to show.</summary>
    public int FastWindow { get; init; } = 32;

    /// <summary>Memory, in samples, of each part's own distribution of statistics, used to calibrate it to the series.</summary>
    public int CalibrationWindow { get; init; } = 2000;

    /// <summary>A score at or above this is <see cref="AnomalyState.Anomalous"/> and raises an alarm.</summary>
    public double AlarmThreshold { get; init; } = 0.5;

    /// <summary>
    /// Samples after an alarm during which its repeats are damped (a much stronger anomaly still alarms), and the slow
    /// statistics do not learn from the anomaly; at its end a level that stayed shifted becomes the new normal.
    /// </summary>
    public int SuppressSamples { get; init; } = 150;

    /// <summary>An interval more than this many times the typical one is a gap: first differences do not span it.</summary>
    public double GapFactor { get; init; } = 10;

    /// <summary>The parts of the ensemble that score.</summary>
    public ScalarComponents Components { get; init; } = ScalarComponents.All;

    /// <summary>Samples of the windowed Gaussian baseline's window (at most 480, so its state stays within 4 KB).</summary>
    public int GaussianWindow { get; init; } = 400;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of its range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(LearningSamples, 2, nameof(LearningSamples));
        ArgumentOutOfRangeException.ThrowIfLessThan(FastWindow, 2, nameof(FastWindow));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(SlowWindow, FastWindow, nameof(SlowWindow));
        ArgumentOutOfRangeException.ThrowIfLessThan(CalibrationWindow, FastWindow, nameof(CalibrationWindow));
        if (!(AlarmThreshold > 0 && AlarmThreshold <= 1)) throw new ArgumentOutOfRangeException(nameof(AlarmThreshold), AlarmThreshold, "must be in (0, 1]");
        ArgumentOutOfRangeException.ThrowIfNegative(SuppressSamples, nameof(SuppressSamples));
        if (!(GapFactor > 1)) throw new ArgumentOutOfRangeException(nameof(GapFactor), GapFactor, "must be above 1");
        if ((Components & ~ScalarComponents.All) != 0) throw new ArgumentOutOfRangeException(nameof(Components), Components, "unknown component");
        ArgumentOutOfRangeException.ThrowIfLessThan(GaussianWindow, 2, nameof(GaussianWindow));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(GaussianWindow, WindowedGaussianDetector.MaxWindow, nameof(GaussianWindow));
    }

    /// <summary>A fingerprint of the settings that shape the state, written with it so a mismatch is refused on read.</summary>
    internal int Fingerprint()
    {
        return StableHash(LearningSamples, SlowWindow, FastWindow, CalibrationWindow, SuppressSamples, (int)Components, GaussianWindow);
    }

    // HashCode is randomised per process; a state file outlives the process, so the fingerprint is FNV-1a.
    private static int StableHash(params ReadOnlySpan<int> values)
    {
        var hash = 2166136261u;
        foreach (var value in values)
        {
            for (var shift = 0; shift < 32; shift += 8)
            {
                hash ^= (uint)(value >> shift) & 0xFF;
                hash *= 16777619u;
            }
        }
        return unchecked((int)hash);
    }
}
