namespace ThermalPlant.Analytics.Scalar;

/// <summary>The parts of the <see cref="EnsembleDetector"/>; each catches one kind of change.</summary>
[Flags]
public enum ScalarComponents
{
    /// <summary>No part: a detector made so scores nothing.</summary>
    None = 0,
    /// <summary>Spikes and large level changes: the sample against the slow mean and spread.</summary>
    Level = 1,
    /// <summary>Level shifts and drifts: the fast mean against the slow one, in standard errors.</summary>
    Shift = 2,
    /// <summary>Changes of variance, up or down: the fast spread of first differences against the slow one.</summary>
    Variance = 4,
    /// <summary>Stuck values: a run of equal samples far longer than the series' own repeat rate allows.</summary>
    Stuck = 8,
    /// <summary>Changes of a daily or weekly pattern: the sample against its hour of day and hour of week.</summary>
    Seasonal = 16,
    /// <summary>
    /// Slow drifts: a two-sided CUSUM (Page) of the residual against the slow mean (or the seasonal profile), scaled
    /// by the series' own long-run spread and clipped so that heavy-tailed excursions cannot build it.
    /// </summary>
    Drift = 32,
    /// <summary>Every part: the default ensemble.</summary>
    All = Level | Shift | Variance | Stuck | Seasonal | Drift,
}
