namespace ThermalPlant.Analytics.Scalar;

/// <summary>
/// The named scalar detectors, for configuration and the command line's <c>--detector NAME</c>: the default ensemble,
/// each of its parts alone, and the windowed Gaussian baseline.
/// </summary>
public static class ScalarDetectors
{
    /// <summary>The name of the default detector.</summary>
    public const string DefaultName = "default";

    private static readonly (string Name, string Description)[] Known =
    [
        (DefaultName, "the ensemble of every part below except the baseline, calibrated per series, alarms damped after a detection"),
        ("level", "spikes and large level changes: the sample against the slow mean and spread"),
        ("shift", "level shifts and drifts: the fast mean against the slow mean, in standard errors"),
        ("variance", "changes of variance, up or down: fast against slow spread of the first differences"),
        ("stuck", "stuck values: a run of equal samples where the signal normally moves"),
        ("seasonal", "changes of a daily or weekly pattern: the sample against its hour of day and hour of week"),
        ("drift", "slow drifts: a CUSUM of the residual against the slow mean or the seasonal profile, in long-run deviations"),
        ("gaussian", "baseline: the sample against the mean and deviation of the last 400 samples, no calibration or damping"),
    ];

    /// <summary>Every name <see cref="Create"/> takes, with what the detector catches.</summary>
    public static IReadOnlyList<(string Name, string Description)> All => Known;

    /// <summary>Makes the named detector; throws <see cref="ArgumentException"/> on an unknown name.</summary>
    /// <param name="name">One of <see cref="All"/>, case-insensitive.</param>
    /// <param name="options">Settings; the defaults when null. For a part, <see cref="ScalarDetectorOptions.Components"/> is replaced.</param>
    public static ScalarDetector Create(string name, ScalarDetectorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        options ??= new ScalarDetectorOptions();
        return name.ToLowerInvariant() switch
        {
            DefaultName => new EnsembleDetector(options),
            "level" => new EnsembleDetector(options with { Components = ScalarComponents.Level }),
            "shift" => new EnsembleDetector(options with { Components = ScalarComponents.Shift }),
            "variance" => new EnsembleDetector(options with { Components = ScalarComponents.Variance }),
            "stuck" => new EnsembleDetector(options with { Components = ScalarComponents.Stuck }),
            "seasonal" => new EnsembleDetector(options with { Components = ScalarComponents.Seasonal }),
            "drift" => new EnsembleDetector(options with { Components = ScalarComponents.Drift }),
            "gaussian" => new WindowedGaussianDetector(options),
            _ => throw new ArgumentException($"unknown detector '{name}'; known: {string.Join(", ", Known.Select(k => k.Name))}", nameof(name)),
        };
    }
}
