namespace ThermalPlant.Analytics.Diagnosis;

/// <summary>What is wrong with one machine component, and the figures that say so.</summary>
/// <param name="Component">The component, such as <c>MainShaft.Bearing</c> or <c>Temperature.Upper</c>.</param>
/// <param name="FaultType">A machine-readable fault type, such as <c>bearing_wear</c>, <c>stuck</c>, <c>drift</c>.</param>
/// <param name="Severity">How bad it is; <see cref="FaultSeverity.None"/> when the component is healthy.</param>
/// <param name="Evidence">The figures used, in words an operator reads (levels, baselines, rates).</param>
/// <param name="SinceUtc">When the fault was first diagnosed.</param>
/// <param name="TimeToAlarm">Estimated time until the configured alarm level, where a trend gives one.</param>
/// <param name="TimeToAlarmUncertainty">The estimate's one-sigma uncertainty.</param>
public sealed record Diagnosis(
    string Component,
    string FaultType,
    FaultSeverity Severity,
    string Evidence,
    DateTime SinceUtc,
    TimeSpan? TimeToAlarm,
    TimeSpan? TimeToAlarmUncertainty);
