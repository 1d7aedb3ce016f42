namespace ThermalPlant.Simulation;

/// <summary>A fault to inject, from configuration or <c>POST /simulation/faults</c>.</summary>
public sealed record FaultSpec
{
    /// <summary>What goes wrong.</summary>
    public FaultType Type { get; set; }

    /// <summary>For the thermocouple faults (<see cref="FaultType.OpenThermocouple"/>, <see cref="FaultType.StuckThermocouple"/>, <see cref="FaultType.ThermocoupleDrift"/>): <c>upper</c> or <c>lower</c>.</summary>
    public string? Target { get; set; }

    /// <summary>For <see cref="FaultType.BearingWear"/>: shaft orders that grow (e.g. 3.6 and 5.4 for outer and inner race).</summary>
    public IReadOnlyList<double>? Harmonics { get; set; }

    /// <summary>For <see cref="FaultType.BearingWear"/>: amplitude gained per hour, relative to the shaft tone.</summary>
    public double GrowthPerHour { get; set; } = 1.0;

    /// <summary>For <see cref="FaultType.VoltageSag"/>: the fraction of the voltage lost (0..1).</summary>
    public double Depth { get; set; } = 0.2;

    /// <summary>For <see cref="FaultType.VoltageSag"/>: how long the sag lasts, in seconds; 0 for until cleared.</summary>
    public double DurationSeconds { get; set; } = 5;

    /// <summary>For <see cref="FaultType.ThermocoupleDrift"/>: the offset gained per hour, degC (negative drifts down).</summary>
    public double RatePerHour { get; set; } = 20;

    /// <summary>For <see cref="FaultType.SpeedHunting"/>: the oscillation's amplitude, rpm.</summary>
    public double AmplitudeRpm { get; set; } = 30;

    /// <summary>For <see cref="FaultType.SpeedHunting"/>: the oscillation's period, seconds.</summary>
    public double PeriodSeconds { get; set; } = 10;

    /// <summary>For <see cref="FaultType.SupplyRipple"/>: ripple added to the supply's own, volts peak to peak.</summary>
    public double RippleVolts { get; set; } = 1.0;

    /// <summary>Why the spec cannot be injected, one message per problem; empty when it can.</summary>
    public IEnumerable<string> Validate()
    {
        switch (Type)
        {
            case FaultType.OpenThermocouple or FaultType.StuckThermocouple or FaultType.ThermocoupleDrift when Target is not ("upper" or "lower"):
                yield return "Target must be 'upper' or 'lower'";
                break;
            case FaultType.ThermocoupleDrift when !(RatePerHour is >= -1000 and <= 1000) || RatePerHour == 0:
                yield return "RatePerHour must be between -1000 and 1000, and not 0";
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
            case FaultType.SpeedHunting when !(AmplitudeRpm is > 0 and <= 5000):
                yield return "AmplitudeRpm must be between 0 and 5000";
                break;
            case FaultType.SpeedHunting when !(PeriodSeconds is >= 0.5 and <= 3600):
                yield return "PeriodSeconds must be between 0.5 and 3600";
                break;
            case FaultType.SupplyRipple when !(RippleVolts is > 0 and <= 20):
                yield return "RippleVolts must be between 0 and 20";
                break;
            case not (FaultType.OpenThermocouple or FaultType.BearingWear or FaultType.VoltageSag or FaultType.StuckThermocouple
                or FaultType.ThermocoupleDrift or FaultType.SpeedHunting or FaultType.SupplyRipple):
                yield return "Type must be OpenThermocouple, BearingWear, VoltageSag, StuckThermocouple, ThermocoupleDrift, SpeedHunting or SupplyRipple";
                break;
        }
    }
}
