using Microsoft.Extensions.Time.Testing;
using ThermalPlant.Sensors.Devices;
using ThermalPlant.Sensors.Simulation;
using ThermalPlant.Simulation;

namespace ThermalPlant.Sensors.Tests.Simulation;

public sealed class PlantModelTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Temperatures_follow_burner_power_with_a_first_order_lag()
    {
        var cold = new PlantModel(new SimulationOptions { BurnerPowerKw = 20 }, _time).Sample();
        var hot = new PlantModel(new SimulationOptions { BurnerPowerKw = 80 }, _time).Sample();
        Assert.True(hot.UpperCelsius - cold.UpperCelsius > 300, "6 degC per kW in the upper zone");
        Assert.True(hot.UpperCelsius > hot.LowerCelsius);
    }

    [Fact]
    public void State_advances_with_the_clock_and_stays_plausible_over_a_day()
    {
        var plant = new PlantModel(new SimulationOptions(), _time);
        var first = plant.Sample();
        for (var hour = 0; hour < 24; hour++)
        {
            _time.Advance(TimeSpan.FromHours(1));
            var state = plant.Sample();
            Assert.InRange(state.UpperCelsius, 250, 600);
            Assert.InRange(state.LowerCelsius, 100, 400);
            Assert.InRange(state.Rpm, 1000, 1600);
            Assert.InRange(state.SupplyVolts, 23, 24.5);
        }
        Assert.Equal(24 * 3600, plant.Sample().Seconds - first.Seconds, 6);
    }

    [Fact]
    public void Same_seed_same_clock_same_plant()
    {
        var a = new PlantModel(new SimulationOptions { Seed = 7 }, _time);
        var b = new PlantModel(new SimulationOptions { Seed = 7 }, _time);
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(a.Sample(), b.Sample(), new StateComparer());
    }

    [Fact]
    public void Voltage_sag_lowers_the_supply_for_its_duration_only()
    {
        var plant = new PlantModel(new SimulationOptions { RippleVolts = 0 }, _time);
        var voltmeter = new SimulatedVoltmeter(plant);
        var before = voltmeter.ReadVolts();
        plant.Inject(new FaultSpec { Type = FaultType.VoltageSag, Depth = 0.5, DurationSeconds = 10 });
        Assert.InRange(voltmeter.ReadVolts(), (before / 2) - 0.1, (before / 2) + 0.1);
        _time.Advance(TimeSpan.FromSeconds(11));
        Assert.InRange(voltmeter.ReadVolts(), before - 0.2, before + 0.2);
    }

    [Fact]
    public void Open_thermocouple_sets_the_converter_fault_until_cleared()
    {
        var plant = new PlantModel(new SimulationOptions(), _time);
        var upper = new SimulatedThermocouple(plant, upper: true);
        var lower = new SimulatedThermocouple(plant, upper: false);
        var fault = plant.Inject(new FaultSpec { Type = FaultType.OpenThermocouple, Target = "upper" });
        Assert.Equal(ThermocoupleFault.OpenCircuit, upper.Read().Fault);
        Assert.Equal(ThermocoupleFault.None, lower.Read().Fault);
        Assert.True(plant.Clear(fault.Id));
        Assert.Equal(ThermocoupleFault.None, upper.Read().Fault);
    }

    [Fact]
    public void Bearing_wear_grows_its_harmonics_over_time()
    {
        var plant = new PlantModel(new SimulationOptions(), _time);
        plant.Inject(new FaultSpec { Type = FaultType.BearingWear, Harmonics = [3.6, 5.4], GrowthPerHour = 5 });
        var early = plant.Sample().Wear;
        _time.Advance(TimeSpan.FromHours(2));
        var late = plant.Sample().Wear;
        Assert.Equal([3.6, 5.4], late.Select(w => w.Order));
        Assert.True(late[0].Amplitude > early[0].Amplitude * 5);
    }

    [Fact]
    public void A_stuck_thermocouple_repeats_its_conversion_until_cleared()
    {
        var plant = new PlantModel(new SimulationOptions(), _time);
        var fault = plant.Inject(new FaultSpec { Type = FaultType.StuckThermocouple, Target = "lower" });
        var frozen = plant.ReadThermocouple(upper: false);
        var upperValues = new HashSet<double>();
        for (var i = 0; i < 20; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            Assert.Equal(frozen, plant.ReadThermocouple(upper: false));
            upperValues.Add(plant.ReadThermocouple(upper: true).Celsius);
        }
        Assert.True(upperValues.Count > 3, "the other thermocouple keeps its noise");
        Assert.True(plant.Clear(fault.Id));
        var values = new HashSet<double>();
        for (var i = 0; i < 20; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            values.Add(plant.ReadThermocouple(upper: false).Celsius);
        }
        Assert.True(values.Count > 3);
    }

    [Fact]
    public void A_drifting_thermocouple_gains_its_rate_per_hour_and_the_other_does_not()
    {
        var drifting = new PlantModel(new SimulationOptions { Seed = 3 }, _time);
        var healthy = new PlantModel(new SimulationOptions { Seed = 3 }, _time);
        drifting.Inject(new FaultSpec { Type = FaultType.ThermocoupleDrift, Target = "upper", RatePerHour = -40 });
        _time.Advance(TimeSpan.FromMinutes(30));
        Assert.InRange(drifting.ReadThermocouple(upper: true).Celsius - healthy.ReadThermocouple(upper: true).Celsius, -20 - 0.5, -20 + 0.5);
        Assert.Equal(healthy.ReadThermocouple(upper: false).Celsius, drifting.ReadThermocouple(upper: false).Celsius, 0.5 + 1e-9);
    }

    [Fact]
    public void Speed_hunting_oscillates_the_shaft_with_its_amplitude_and_period()
    {
        var plant = new PlantModel(new SimulationOptions(), _time);
        var calm = new PlantModel(new SimulationOptions(), _time);
        plant.Inject(new FaultSpec { Type = FaultType.SpeedHunting, AmplitudeRpm = 50, PeriodSeconds = 8 });
        for (var i = 1; i <= 16; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(0.5));
            // Same seed, same clock: the two plants differ by the oscillation only.
            Assert.Equal(50 * Math.Sin(2 * Math.PI * 0.5 * i / 8), plant.Sample().Rpm - calm.Sample().Rpm, 1e-6);
        }
    }

    [Fact]
    public void Supply_ripple_widens_the_scatter_of_conversions_without_moving_the_level()
    {
        var plant = new PlantModel(new SimulationOptions(), _time);
        static (double Mean, double Sd) Stats(PlantModel p)
        {
            var values = Enumerable.Range(0, 4000).Select(_ => p.ReadSupplyVolts()).ToArray();
            var mean = values.Average();
            return (mean, Math.Sqrt(values.Average(v => (v - mean) * (v - mean))));
        }
        var before = Stats(plant);
        plant.Inject(new FaultSpec { Type = FaultType.SupplyRipple, RippleVolts = 1.0 });
        var after = Stats(plant);
        // A sine of 0.05 V and then 0.55 V amplitude at a random phase: one sigma is amplitude / sqrt(2).
        Assert.InRange(before.Sd, 0.03, 0.045);
        Assert.InRange(after.Sd, 0.36, 0.42);
        Assert.Equal(before.Mean, after.Mean, 0.05);
    }

    [Fact]
    public void Faults_from_configuration_are_active_from_the_start()
    {
        var plant = new PlantModel(new SimulationOptions { Faults = [new FaultSpec { Type = FaultType.OpenThermocouple, Target = "lower" }] }, _time);
        Assert.True(plant.Sample().LowerOpen);
    }

    [Theory]
    [InlineData(FaultType.OpenThermocouple, "Target")]
    [InlineData(FaultType.BearingWear, "Harmonics")]
    [InlineData(FaultType.StuckThermocouple, "Target")]
    [InlineData(FaultType.ThermocoupleDrift, "Target")]
    public void Invalid_fault_specs_are_reported(FaultType type, string key)
    {
        var errors = new FaultSpec { Type = type }.Validate().ToList();
        Assert.Contains(errors, e => e.StartsWith(key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Audio_is_paced_in_real_time()
    {
        var plant = new PlantModel(new SimulationOptions(), _time);
        await using var audio = new SimulatedAudioSource(plant, _time, 1000);
        var block = new float[500];
        var pending = audio.ReadAsync(block, CancellationToken.None).AsTask();
        Assert.False(pending.IsCompleted, "half a second of audio is not due yet");
        _time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(500, await pending.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Contains(block, s => Math.Abs(s) > 0.01f);
        Assert.All(block, s => Assert.InRange(s, -1f, 1f));
    }

    [Fact]
    public void Out_of_range_figures_of_the_new_faults_are_reported()
    {
        Assert.Contains(new FaultSpec { Type = FaultType.ThermocoupleDrift, Target = "upper", RatePerHour = 0 }.Validate(), e => e.StartsWith("RatePerHour", StringComparison.Ordinal));
        Assert.Contains(new FaultSpec { Type = FaultType.SpeedHunting, AmplitudeRpm = -1 }.Validate(), e => e.StartsWith("AmplitudeRpm", StringComparison.Ordinal));
        Assert.Contains(new FaultSpec { Type = FaultType.SpeedHunting, PeriodSeconds = 0.1 }.Validate(), e => e.StartsWith("PeriodSeconds", StringComparison.Ordinal));
        Assert.Contains(new FaultSpec { Type = FaultType.SupplyRipple, RippleVolts = 50 }.Validate(), e => e.StartsWith("RippleVolts", StringComparison.Ordinal));
        Assert.Empty(new FaultSpec { Type = FaultType.SupplyRipple }.Validate());
        Assert.Empty(new FaultSpec { Type = FaultType.SpeedHunting }.Validate());
    }

    private sealed class StateComparer : IEqualityComparer<PlantState>
    {
        public bool Equals(PlantState? x, PlantState? y) =>
            x is not null && y is not null && x.UpperCelsius == y.UpperCelsius && x.LowerCelsius == y.LowerCelsius && x.Rpm == y.Rpm && x.SupplyVolts == y.SupplyVolts;

        public int GetHashCode(PlantState obj) => obj.Rpm.GetHashCode();
    }
}
