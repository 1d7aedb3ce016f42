using ThermalPlant.Analytics.Diagnosis;
using ThermalPlant.Simulation;

namespace ThermalPlant.Analytics.Tests.Diagnosis;

/// <summary>The thermocouple, supply and shaft-speed diagnoses on the simulated plant, without audio.</summary>
public sealed class ScalarDiagnosisTests
{
    private static readonly TimeSpan Learned = TimeSpan.FromHours(2);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void The_normal_plant_raises_nothing_in_a_day(int seed)
    {
        var rig = new PlantRig(seed);
        rig.Run(Learned);
        var since = rig.Plant.Now;
        rig.Run(TimeSpan.FromHours(22));
        Assert.Empty(rig.RaisedSince(since));
        Assert.True(rig.Diagnoser.FurnaceLearned);
        Assert.True(Math.Abs(rig.Diagnoser.FurnaceResidualKw) < 0.15, $"residual {rig.Diagnoser.FurnaceResidualKw} kW");
    }

    [Theory]
    [InlineData("upper", PlantComponents.UpperThermocouple)]
    [InlineData("lower", PlantComponents.LowerThermocouple)]
    public void An_open_thermocouple_is_a_bad_reading_within_two_seconds_and_clears(string target, string component)
    {
        var rig = new PlantRig();
        rig.Run(Learned);
        var fault = rig.Plant.Model.Inject(new FaultSpec { Type = FaultType.OpenThermocouple, Target = target });
        Assert.InRange(rig.RunUntil(component, PlantFaultTypes.BadReading, TimeSpan.FromSeconds(30))!.Value, TimeSpan.Zero, TimeSpan.FromSeconds(2));
        Assert.Equal(FaultSeverity.Critical, rig.Diagnoser.Active.Single().Severity);
        rig.Plant.Model.Clear(fault.Id);
        rig.Run(TimeSpan.FromSeconds(5));
        Assert.Empty(rig.Diagnoser.Active);
    }

    [Theory]
    [InlineData("upper", PlantComponents.UpperThermocouple)]
    [InlineData("lower", PlantComponents.LowerThermocouple)]
    public void A_stuck_thermocouple_is_found_within_a_minute_though_it_sends_no_data_change(string target, string component)
    {
        var rig = new PlantRig();
        rig.Run(Learned);
        var since = rig.Plant.Now;
        var fault = rig.Plant.Model.Inject(new FaultSpec { Type = FaultType.StuckThermocouple, Target = target });
        Assert.InRange(rig.RunUntil(component, PlantFaultTypes.Stuck, TimeSpan.FromMinutes(5))!.Value, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(60));
        Assert.Single(rig.RaisedSince(since));
        rig.Plant.Model.Clear(fault.Id);
        rig.Run(TimeSpan.FromSeconds(10));
        Assert.Empty(rig.Diagnoser.Active);
    }

    [Theory]
    [InlineData("upper", 30, PlantComponents.UpperThermocouple)]
    [InlineData("upper", -20, PlantComponents.UpperThermocouple)]
    [InlineData("lower", 20, PlantComponents.LowerThermocouple)]
    [InlineData("lower", -30, PlantComponents.LowerThermocouple)]
    public void A_drifting_thermocouple_is_seen_within_ten_minutes_and_named_within_an_hour(string target, double ratePerHour, string component)
    {
        var rig = new PlantRig(seed: 5);
        rig.Run(Learned);
        var since = rig.Plant.Now;
        rig.Plant.Model.Inject(new FaultSpec { Type = FaultType.ThermocoupleDrift, Target = target, RatePerHour = ratePerHour });
        var named = rig.RunUntil(component, PlantFaultTypes.Drift, TimeSpan.FromHours(1));
        Assert.True(named is not null, string.Join("; ", rig.RaisedSince(since)));
        var first = rig.Changes.First(c => c.At >= since);
        Assert.Equal(PlantFaultTypes.Drift, first.Diagnosis.FaultType);
        Assert.InRange(first.At - since, TimeSpan.Zero, TimeSpan.FromMinutes(10));
        Assert.DoesNotContain(rig.RaisedSince(since), r => r.StartsWith(component == PlantComponents.UpperThermocouple ? PlantComponents.LowerThermocouple : PlantComponents.UpperThermocouple, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0.15, 5)]
    [InlineData(0.5, 60)]
    public void A_voltage_sag_is_found_within_two_seconds_and_clears_after_it(double depth, double seconds)
    {
        var rig = new PlantRig();
        rig.Run(Learned);
        var since = rig.Plant.Now;
        rig.Plant.Model.Inject(new FaultSpec { Type = FaultType.VoltageSag, Depth = depth, DurationSeconds = seconds });
        Assert.InRange(rig.RunUntil(PlantComponents.Supply, PlantFaultTypes.VoltageSag, TimeSpan.FromSeconds(30))!.Value, TimeSpan.Zero, TimeSpan.FromSeconds(2));
        rig.Run(TimeSpan.FromSeconds(seconds + 5));
        Assert.Empty(rig.Diagnoser.Active);
        Assert.Single(rig.RaisedSince(since));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(2)]
    public void Supply_ripple_is_found_within_ninety_seconds(double rippleVolts)
    {
        var rig = new PlantRig();
        rig.Run(Learned);
        var since = rig.Plant.Now;
        var fault = rig.Plant.Model.Inject(new FaultSpec { Type = FaultType.SupplyRipple, RippleVolts = rippleVolts });
        Assert.InRange(rig.RunUntil(PlantComponents.Supply, PlantFaultTypes.SupplyRipple, TimeSpan.FromMinutes(5))!.Value, TimeSpan.Zero, TimeSpan.FromSeconds(90));
        Assert.Single(rig.RaisedSince(since));
        rig.Plant.Model.Clear(fault.Id);
        rig.Run(TimeSpan.FromMinutes(5));
        Assert.Empty(rig.Diagnoser.Active);
    }

    [Theory]
    [InlineData(10, 5)]
    [InlineData(60, 30)]
    public void Speed_hunting_is_found_within_two_minutes(double amplitude, double period)
    {
        var rig = new PlantRig();
        rig.Run(Learned);
        var since = rig.Plant.Now;
        var fault = rig.Plant.Model.Inject(new FaultSpec { Type = FaultType.SpeedHunting, AmplitudeRpm = amplitude, PeriodSeconds = period });
        Assert.InRange(rig.RunUntil(PlantComponents.Shaft, PlantFaultTypes.SpeedHunting, TimeSpan.FromMinutes(10))!.Value, TimeSpan.Zero, TimeSpan.FromMinutes(2));
        Assert.Single(rig.RaisedSince(since));
        rig.Plant.Model.Clear(fault.Id);
        rig.Run(TimeSpan.FromMinutes(5));
        Assert.Empty(rig.Diagnoser.Active);
    }

    [Fact]
    public void A_step_of_speed_is_not_hunting()
    {
        var rig = new PlantRig();
        rig.Run(Learned);
        var since = rig.Plant.Now;
        rig.Simulation.NominalRpm = 1350;
        rig.Run(TimeSpan.FromMinutes(30));
        rig.Simulation.NominalRpm = 1500;
        rig.Run(TimeSpan.FromMinutes(30));
        Assert.DoesNotContain(rig.RaisedSince(since), r => r.StartsWith(PlantComponents.Shaft + "/", StringComparison.Ordinal));
    }
}
