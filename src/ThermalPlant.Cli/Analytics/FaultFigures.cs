using ThermalPlant.Simulation;

namespace ThermalPlant.Cli.Analytics;

/// <summary>Random figures for an injected fault, and how long it stays, in ranges a plant would see.</summary>
internal static class FaultFigures
{
    public static (FaultSpec Spec, double Seconds) Draw(FaultType type, Random random, IReadOnlyList<double> bearingOrders)
    {
        double Between(double low, double high) => low + ((high - low) * random.NextDouble());
        string Target() => random.Next(2) == 0 ? "upper" : "lower";
        return type switch
        {
            FaultType.OpenThermocouple => (new FaultSpec { Type = type, Target = Target() }, Between(120, 600)),
            FaultType.StuckThermocouple => (new FaultSpec { Type = type, Target = Target() }, Between(600, 1800)),
            FaultType.ThermocoupleDrift => (new FaultSpec { Type = type, Target = Target(), RatePerHour = (random.Next(2) == 0 ? -1 : 1) * Between(10, 40) }, 9000),
            FaultType.BearingWear => (new FaultSpec { Type = type, Harmonics = Orders(random, bearingOrders), GrowthPerHour = Between(2, 6) }, 3 * 3600),
            FaultType.VoltageSag => Sag(random, Between(0.15, 0.6), Between(5, 60)),
            FaultType.SupplyRipple => (new FaultSpec { Type = type, RippleVolts = Between(0.5, 2) }, Between(600, 1800)),
            FaultType.SpeedHunting => (new FaultSpec { Type = type, AmplitudeRpm = Between(10, 60), PeriodSeconds = Between(5, 30) }, Between(600, 1800)),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a fault type of the simulator"),
        };
    }

    private static (FaultSpec, double) Sag(Random random, double depth, double seconds) =>
        // The plant ends the sag itself; the fault stays listed a little longer, as an operator would clear it.
        (new FaultSpec { Type = FaultType.VoltageSag, Depth = depth, DurationSeconds = seconds }, seconds + 10 + (random.NextDouble() * 20));

    private static double[] Orders(Random random, IReadOnlyList<double> orders)
    {
        var chosen = orders.Where(_ => random.Next(2) == 0).ToArray();
        return chosen.Length > 0 ? chosen : [orders[random.Next(orders.Count)]];
    }
}
