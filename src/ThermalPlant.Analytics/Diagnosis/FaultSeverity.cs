namespace ThermalPlant.Analytics.Diagnosis;

/// <summary>How bad a diagnosed fault is, mapped to OPC UA severities (1..1000) where alarms are raised.</summary>
public enum FaultSeverity
{
    /// <summary>No fault.</summary>
    None = 0,
    /// <summary>Worth a look at the next round: 250.</summary>
    Advisory = 1,
    /// <summary>Plan maintenance: 500.</summary>
    Warning = 2,
    /// <summary>Act now: 800.</summary>
    Critical = 3,
}
