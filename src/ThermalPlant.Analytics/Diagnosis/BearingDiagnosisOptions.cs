namespace ThermalPlant.Analytics.Diagnosis;

/// <summary>
/// Bearing wear: the spectrum level at each fault order (a multiple of the shaft frequency, rpm / 60) against the
/// machine's own baseline at that speed, learned per speed bin.
/// </summary>
public sealed class BearingDiagnosisOptions
{
    /// <summary>The bearing's fault orders, in multiples of the shaft frequency (e.g. outer and inner race).</summary>
    public List<double> FaultOrders { get; set; } = [3.6, 5.4];

    /// <summary>Width of a speed bin, percent of the speed: the baseline is learned per bin.</summary>
    public double SpeedBinPercent { get; set; } = 1;

    /// <summary>Spectra a speed bin must have seen before it is scored.</summary>
    public int MinSamplesPerBin { get; set; } = 20;

    /// <summary>Speed bins kept per fault order; speeds beyond them stay unlearned (bounds the state).</summary>
    public int MaxBins { get; set; } = 128;

    /// <summary>Rise above baseline, dB (smoothed), that flags wear.</summary>
    public double ThresholdDb { get; set; } = 1.5;

    /// <summary>The rise must last this long, seconds.</summary>
    public double PersistSeconds { get; set; } = 120;

    /// <summary>Time constant of the smoothing of the rise, seconds.</summary>
    public double SmoothingSeconds { get; set; } = 120;

    /// <summary>Rise at which the diagnosis becomes a warning, dB.</summary>
    public double WarningDb { get; set; } = 6;

    /// <summary>The alarm level (rise above baseline, dB) whose time of arrival is estimated; critical once reached.</summary>
    public double AlarmDb { get; set; } = 12;

    /// <summary>Time constant of the trend fitted to the rise for the time to alarm, seconds.</summary>
    public double TrendSeconds { get; set; } = 3600;

    /// <summary>The baseline keeps learning only while the rise stays under this, dB, so slow wear is not absorbed.</summary>
    public double AdaptGuardDb { get; set; } = 0.5;

    /// <summary>A shaft speed older than this (seconds) at a spectrum's time is not used to place the fault orders.</summary>
    public double MaxSpeedAgeSeconds { get; set; } = 5;

    internal void Validate(string prefix, ICollection<string> errors)
    {
        if (FaultOrders is null || FaultOrders.Count is 0 or > 16 || FaultOrders.Any(o => !(o is > 0 and <= 100))) errors.Add($"{prefix}FaultOrders must list 1 to 16 orders between 0 and 100");
        if (!(SpeedBinPercent is >= 0.1 and <= 20)) errors.Add($"{prefix}SpeedBinPercent must be between 0.1 and 20");
        if (MinSamplesPerBin is < 1 or > 100_000) errors.Add($"{prefix}MinSamplesPerBin must be between 1 and 100000");
        if (MaxBins is < 1 or > 1024) errors.Add($"{prefix}MaxBins must be between 1 and 1024");
        if (!(ThresholdDb is > 0 and <= 40)) errors.Add($"{prefix}ThresholdDb must be between 0 and 40");
        if (!(WarningDb >= ThresholdDb && AlarmDb > WarningDb && AlarmDb <= 60)) errors.Add($"{prefix}ThresholdDb <= WarningDb < AlarmDb <= 60 must hold");
        if (!(PersistSeconds is >= 0 and <= 86400)) errors.Add($"{prefix}PersistSeconds must be between 0 and 86400");
        if (!(SmoothingSeconds is > 0 and <= 86400)) errors.Add($"{prefix}SmoothingSeconds must be between 0 and 86400");
        if (!(TrendSeconds is >= 60 and <= 30 * 86400)) errors.Add($"{prefix}TrendSeconds must be between 60 and 2592000");
        if (!(AdaptGuardDb > 0 && AdaptGuardDb < ThresholdDb)) errors.Add($"{prefix}AdaptGuardDb must be between 0 and ThresholdDb");
        if (!(MaxSpeedAgeSeconds is > 0 and <= 600)) errors.Add($"{prefix}MaxSpeedAgeSeconds must be between 0 and 600");
    }
}
