namespace ThermalPlant.Analytics.Diagnosis;

/// <summary>
/// A diagnoser's current verdict on one component, kept as figures and turned into a <see cref="Diagnosis"/> (with
/// its evidence text) only when asked, so that updating it per sample allocates nothing.
/// </summary>
internal sealed class Finding(string component, Func<string> evidence)
{
    public string Component { get; private set; } = component;

    public string FaultType { get; private set; } = PlantFaultTypes.None;

    public FaultSeverity Severity { get; private set; }

    public DateTime Since { get; private set; }

    public TimeSpan? TimeToAlarm { get; set; }

    public TimeSpan? TimeToAlarmUncertainty { get; set; }

    /// <summary>Changes whenever the fault type or severity changes.</summary>
    public int Version { get; private set; }

    public bool Active => Severity != FaultSeverity.None;

    public void Raise(string faultType, FaultSeverity severity, DateTime now)
    {
        if (faultType == FaultType && severity == Severity) return;
        if (faultType != FaultType) Since = now;
        FaultType = faultType;
        Severity = severity;
        Version++;
    }

    /// <summary>Clears the finding if it holds <paramref name="faultType"/> (another diagnoser may have raised a worse fault since).</summary>
    public void Clear(string faultType)
    {
        if (FaultType == faultType) Clear();
    }

    public void Clear()
    {
        if (!Active) return;
        FaultType = PlantFaultTypes.None;
        Severity = FaultSeverity.None;
        TimeToAlarm = null;
        TimeToAlarmUncertainty = null;
        Version++;
    }

    public Diagnosis ToDiagnosis() => Active
        ? new Diagnosis(Component, FaultType, Severity, evidence(), Since, TimeToAlarm, TimeToAlarmUncertainty)
        : new Diagnosis(Component, PlantFaultTypes.None, FaultSeverity.None, "", default, null, null);
}
