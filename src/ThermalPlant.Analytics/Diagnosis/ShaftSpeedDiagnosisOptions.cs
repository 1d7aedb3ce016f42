namespace ThermalPlant.Analytics.Diagnosis;

/// <summary>
/// Speed hunting: the shaft speed, high-passed twice (so a steady ramp of the load leaves nothing), oscillating
/// with an amplitude well above its learned scatter and crossing zero repeatedly.
/// </summary>
public sealed class ShaftSpeedDiagnosisOptions
{
    /// <summary>Time constant of each of the two high-pass stages, seconds: oscillations faster than about 2 pi times this pass.</summary>
    public double HighPassSeconds { get; set; } = 20;

    /// <summary>Time constant of the oscillation's RMS estimate, seconds.</summary>
    public double RmsSeconds { get; set; } = 30;

    /// <summary>Time learning the normal scatter before judging, seconds.</summary>
    public double LearnSeconds { get; set; } = 600;

    /// <summary>The RMS must exceed this many times the learned one.</summary>
    public double RmsFactor { get; set; } = 4;

    /// <summary>And this absolute RMS, rpm.</summary>
    public double MinRmsRpm { get; set; } = 3;

    /// <summary>Zero crossings needed within <see cref="CrossingWindowSeconds"/> for an oscillation (a step crosses once).</summary>
    public int MinCrossings { get; set; } = 4;

    /// <summary>Window in which the crossings are counted, seconds.</summary>
    public double CrossingWindowSeconds { get; set; } = 120;

    /// <summary>The oscillation must last this long, seconds.</summary>
    public double PersistSeconds { get; set; } = 20;

    internal void Validate(string prefix, ICollection<string> errors)
    {
        if (!(HighPassSeconds is >= 1 and <= 3600)) errors.Add($"{prefix}HighPassSeconds must be between 1 and 3600");
        if (!(RmsSeconds is >= 1 and <= 3600)) errors.Add($"{prefix}RmsSeconds must be between 1 and 3600");
        if (!(LearnSeconds is >= 10 and <= 86400)) errors.Add($"{prefix}LearnSeconds must be between 10 and 86400");
        if (!(RmsFactor is >= 1.5 and <= 1000)) errors.Add($"{prefix}RmsFactor must be between 1.5 and 1000");
        if (!(MinRmsRpm is >= 0 and <= 10000)) errors.Add($"{prefix}MinRmsRpm must be between 0 and 10000");
        if (MinCrossings is < 2 or > 64) errors.Add($"{prefix}MinCrossings must be between 2 and 64");
        if (!(CrossingWindowSeconds is >= 1 and <= 3600)) errors.Add($"{prefix}CrossingWindowSeconds must be between 1 and 3600");
        if (!(PersistSeconds is >= 0 and <= 3600)) errors.Add($"{prefix}PersistSeconds must be between 0 and 3600");
    }
}
