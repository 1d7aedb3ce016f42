namespace ThermalPlant.Analytics.Diagnosis;

/// <summary>Supply voltage sag (a drop below the learned level) and ripple (reading-to-reading scatter above the learned one).</summary>
public sealed class SupplyDiagnosisOptions
{
    /// <summary>A reading this fraction below the baseline level is a sag (IEEE 1159 counts 10 % and more).</summary>
    public double SagFraction { get; set; } = 0.1;

    /// <summary>Time constant of the baseline level, seconds.</summary>
    public double LevelSeconds { get; set; } = 300;

    /// <summary>Time learning the baseline level and scatter before judging, seconds.</summary>
    public double LearnSeconds { get; set; } = 600;

    /// <summary>Ripple: the scatter must exceed this many times the learned scatter.</summary>
    public double RippleFactor { get; set; } = 3;

    /// <summary>Ripple: and this absolute scatter, volts (one-sigma of a reading).</summary>
    public double MinRippleVolts { get; set; } = 0.03;

    /// <summary>Time constant of the scatter estimate, seconds.</summary>
    public double RippleSeconds { get; set; } = 30;

    /// <summary>The scatter must stay above threshold this long, seconds.</summary>
    public double PersistSeconds { get; set; } = 30;

    internal void Validate(string prefix, ICollection<string> errors)
    {
        if (!(SagFraction is >= 0.01 and <= 0.9)) errors.Add($"{prefix}SagFraction must be between 0.01 and 0.9");
        if (!(LevelSeconds is >= 1 and <= 86400)) errors.Add($"{prefix}LevelSeconds must be between 1 and 86400");
        if (!(LearnSeconds is >= 10 and <= 86400)) errors.Add($"{prefix}LearnSeconds must be between 10 and 86400");
        if (!(RippleFactor is >= 1.5 and <= 1000)) errors.Add($"{prefix}RippleFactor must be between 1.5 and 1000");
        if (!(MinRippleVolts is >= 0 and <= 100)) errors.Add($"{prefix}MinRippleVolts must be between 0 and 100");
        if (!(RippleSeconds is >= 1 and <= 3600)) errors.Add($"{prefix}RippleSeconds must be between 1 and 3600");
        if (!(PersistSeconds is >= 0 and <= 3600)) errors.Add($"{prefix}PersistSeconds must be between 0 and 3600");
    }
}
