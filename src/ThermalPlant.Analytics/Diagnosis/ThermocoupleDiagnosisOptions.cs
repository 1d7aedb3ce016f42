namespace ThermalPlant.Analytics.Diagnosis;

/// <summary>
/// The thermocouples, and the furnace model that relates them: each zone is a first-order lag driven by the
/// (unmeasured) burner power and the shaft speed, <c>T = lag_tau(ambient + PerKw * P + PerRpm * rpm)</c>. Filtering
/// each zone with the other's lag cancels the burner power, leaving a residual that only a drifting sensor moves.
/// Defaults are the simulated furnace's.
/// </summary>
public sealed class ThermocoupleDiagnosisOptions
{
    /// <summary>Time constant of the upper zone, seconds.</summary>
    public double UpperTimeConstantSeconds { get; set; } = 90;

    /// <summary>Time constant of the lower zone, seconds.</summary>
    public double LowerTimeConstantSeconds { get; set; } = 240;

    /// <summary>Steady-state rise of the upper zone per kW of burner power, degC.</summary>
    public double UpperPerKw { get; set; } = 6;

    /// <summary>Steady-state rise of the lower zone per kW of burner power, degC.</summary>
    public double LowerPerKw { get; set; } = 2.5;

    /// <summary>Steady-state rise of the upper zone per rpm of shaft speed, degC.</summary>
    public double UpperPerRpm { get; set; } = 0.03;

    /// <summary>Steady-state rise of the lower zone per rpm of shaft speed, degC.</summary>
    public double LowerPerRpm { get; set; } = 0.06;

    /// <summary>A reading unchanged for this long (and <see cref="StuckHoldFactor"/> times its usual hold) is stuck, seconds.</summary>
    public double StuckSeconds { get; set; } = 30;

    /// <summary>How many times its usual time between changes a reading must hold to be stuck.</summary>
    public double StuckHoldFactor { get; set; } = 15;

    /// <summary>Time the model's filters settle after a (re)start or a sensor's recovery before drift is judged, seconds.</summary>
    public double SettleSeconds { get; set; } = 1200;

    /// <summary>Time spent learning the residual's offset and noise after settling, seconds.</summary>
    public double LearnSeconds { get; set; } = 3600;

    /// <summary>Smallest residual (kW of implied burner power) that is drift, whatever the learned noise.</summary>
    public double MinResidualKw { get; set; } = 0.15;

    /// <summary>The residual must exceed this many learned standard deviations to be drift.</summary>
    public double ResidualSigmas { get; set; } = 8;

    /// <summary>The residual must stay above threshold this long, seconds.</summary>
    public double PersistSeconds { get; set; } = 60;

    /// <summary>
    /// The drifting sensor is named once the log-likelihood ratio of "upper drifts" against "lower drifts" reaches this
    /// (nats; 5 is odds of about 150 to 1). Each hypothesis implies the burner moved by the other sensor's averaged
    /// deviation from its learned level; the ratio accumulates, per <see cref="IsolationSeconds"/>, how much more likely
    /// one of those moves is under the burner's learned variation. Until then the pair
    /// (<see cref="PlantComponents.Thermocouples"/>) is named.
    /// </summary>
    public double IsolationEvidence { get; set; } = 5;

    /// <summary>Time constant of the average of the implied burner powers used to name the drifting sensor, seconds.</summary>
    public double IsolationSeconds { get; set; } = 900;

    /// <summary>An implied offset this large (degC) makes a drift critical.</summary>
    public double CriticalDriftCelsius { get; set; } = 25;

    /// <summary>Time constant of the slow re-learning of offsets while healthy (ambient changes), hours.</summary>
    public double AdaptHours { get; set; } = 12;

    internal void Validate(string prefix, ICollection<string> errors)
    {
        if (!(UpperTimeConstantSeconds is >= 1 and <= 86400) || !(LowerTimeConstantSeconds is >= 1 and <= 86400)) errors.Add($"{prefix}UpperTimeConstantSeconds and LowerTimeConstantSeconds must be between 1 and 86400");
        if (!(UpperPerKw is > 0 and <= 1000) || !(LowerPerKw is > 0 and <= 1000)) errors.Add($"{prefix}UpperPerKw and LowerPerKw must be between 0 and 1000");
        if (!(Math.Abs(UpperPerRpm) <= 10) || !(Math.Abs(LowerPerRpm) <= 10)) errors.Add($"{prefix}UpperPerRpm and LowerPerRpm must be between -10 and 10");
        if (!(StuckSeconds is >= 1 and <= 86400)) errors.Add($"{prefix}StuckSeconds must be between 1 and 86400");
        if (!(StuckHoldFactor is >= 2 and <= 1000)) errors.Add($"{prefix}StuckHoldFactor must be between 2 and 1000");
        if (!(SettleSeconds is >= 0 and <= 86400)) errors.Add($"{prefix}SettleSeconds must be between 0 and 86400");
        if (!(LearnSeconds is >= 60 and <= 7 * 86400)) errors.Add($"{prefix}LearnSeconds must be between 60 and 604800");
        if (!(MinResidualKw is > 0 and <= 1000)) errors.Add($"{prefix}MinResidualKw must be between 0 and 1000");
        if (!(ResidualSigmas is >= 1 and <= 100)) errors.Add($"{prefix}ResidualSigmas must be between 1 and 100");
        if (!(PersistSeconds is >= 0 and <= 86400)) errors.Add($"{prefix}PersistSeconds must be between 0 and 86400");
        if (!(IsolationSeconds is >= 10 and <= 86400)) errors.Add($"{prefix}IsolationSeconds must be between 10 and 86400");
        if (!(IsolationEvidence is >= 1 and <= 100)) errors.Add($"{prefix}IsolationEvidence must be between 1 and 100");
        if (!(CriticalDriftCelsius is > 0 and <= 1000)) errors.Add($"{prefix}CriticalDriftCelsius must be between 0 and 1000");
        if (!(AdaptHours is >= 0.5 and <= 24 * 365)) errors.Add($"{prefix}AdaptHours must be between 0.5 and 8760");
    }
}
