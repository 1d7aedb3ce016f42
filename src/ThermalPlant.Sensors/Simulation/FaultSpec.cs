namespace ThermalPlant.Sensors.Simulation;

/// <summary>A fault to inject, from configuration or <c>POST /simulation/faults</c>.</summary>
public sealed record FaultSpec
{
    /// <summary>What goes wrong.</summary>
    public FaultType Type { get; set; }

    /// <summary>For <see cref="FaultType.OpenThermocouple"/>: <c>upper</c> or <c>lower</c>.</summary>
    public string? Target { get; set; }

    /// <summary>For <see cref="FaultType.BearingWear"/>: shaft orders that grow (e.g. 3.6 and 5.4 for outer and inner race).</summary>
    public IReadOnlyList<double>? Harmonics { get; set; }

    /// <summary>For <see cref="FaultType.BearingWear"/>: amplitude gained per hour, relative to the shaft tone.</summary>
    public double GrowthPerHour { get; set; } = 1.0;

    /// <summary>For <see cref="FaultType.VoltageSag"/>: the fraction of the voltage lost (0..1).</summary>
    public double Depth { get; set; } = 0.2;

    /// <summary>For <see cref="FaultType.VoltageSag"/>: how long the sag lasts, in seconds; 0 for until cleared.</summary>
    public double DurationSeconds { get; set; } = 5;

    internal IEnumerable<string> Validate()
    {
        switch (Type)
        {
            case FaultType.OpenThermocouple when Target is not ("upper" or "lower"):
                yield return "Target must be 'upper' or 'lower'";
                break;
            case FaultType.BearingWear when Harmonics is null || Harmonics.Count is 0 or > 16 || Harmonics.Any(h => !(h is > 0 and <= 100)):
                yield return "Harmonics must list 1 to 16 shaft orders between 0 and 100";
                break;
            case FaultType.BearingWear when !(GrowthPerHour is > 0 and <= 1000):
                yield return "GrowthPerHour must be between 0 and 1000";
                break;
            case FaultType.VoltageSag when !(Depth is > 0 and <= 1):
                yield return "Depth must be between 0 and 1";
                break;
            case FaultType.VoltageSag when !(DurationSeconds is >= 0 and <= 86400):
                yield return "DurationSeconds must be between 0 and 86400";
                break;
            case not (FaultType.OpenThermocouple or FaultType.BearingWear or FaultType.VoltageSag):
                yield return "Type must be OpenThermocouple, BearingWear or VoltageSag";
                break;
        }
    }
}
