using ThermalPlant.Analytics.Diagnosis;
using ThermalPlant.Simulation;

namespace ThermalPlant.Analytics.Tests.Diagnosis;

/// <summary>Saving and restoring what the diagnoser learned, so that a restart does not relearn for hours.</summary>
public sealed class DiagnosisStateTests
{
    [Fact]
    public void A_restored_diagnoser_scores_at_once_and_finds_wear_without_relearning()
    {
        var learned = new PlantRig(seed: 4, audio: true);
        learned.Run(TimeSpan.FromHours(3));
        using var state = new MemoryStream();
        learned.Diagnoser.WriteState(state);
        Assert.InRange(state.Length, 100, 8 * 1024);

        var restored = new PlantDiagnoser(new PlantDiagnosisOptions());
        state.Position = 0;
        restored.ReadState(state);
        var rig = new PlantRig(seed: 4, audio: true, diagnoser: restored);
        var fresh = new PlantRig(seed: 4, audio: true);
        rig.Run(TimeSpan.FromMinutes(10));
        fresh.Run(TimeSpan.FromMinutes(10));
        Assert.True(restored.SpectraScored > 30, $"{restored.SpectraScored} spectra scored");
        Assert.True(double.IsNaN(fresh.Diagnoser.BearingRiseDb) || fresh.Diagnoser.SpectraScored < restored.SpectraScored / 2);

        rig.Plant.Model.Inject(new FaultSpec { Type = FaultType.BearingWear, Harmonics = [3.6], GrowthPerHour = 4 });
        Assert.NotNull(rig.RunUntil(PlantComponents.Bearing, PlantFaultTypes.BearingWear, TimeSpan.FromHours(2)));
        Assert.Single(rig.RaisedSince(PlantRig.Start.UtcDateTime));
    }

    [Fact]
    public void The_furnace_model_restored_judges_drift_after_settling_without_learning_again()
    {
        var learned = new PlantRig(seed: 6);
        learned.Run(TimeSpan.FromHours(2));
        Assert.True(learned.Diagnoser.FurnaceLearned);
        using var state = new MemoryStream();
        learned.Diagnoser.WriteState(state);
        var restored = new PlantDiagnoser(new PlantDiagnosisOptions());
        state.Position = 0;
        restored.ReadState(state);
        Assert.True(restored.FurnaceLearned);
        var rig = new PlantRig(seed: 6, diagnoser: restored);
        // Settling (20 min) only, where a fresh diagnoser would also learn for an hour.
        rig.Run(TimeSpan.FromMinutes(25));
        Assert.False(double.IsNaN(restored.FurnaceResidualKw));
        rig.Plant.Model.Inject(new FaultSpec { Type = FaultType.ThermocoupleDrift, Target = "lower", RatePerHour = 30 });
        Assert.NotNull(rig.RunUntil(PlantComponents.LowerThermocouple, PlantFaultTypes.Drift, TimeSpan.FromHours(1)));
    }

    [Fact]
    public void A_state_it_cannot_use_is_refused_by_rule()
    {
        var diagnoser = new PlantDiagnoser(new PlantDiagnosisOptions());
        Assert.Throws<InvalidDataException>(() => diagnoser.ReadState(new MemoryStream([1, 2, 3, 4, 5, 6, 7, 8])));

        using var state = new MemoryStream();
        diagnoser.WriteState(state);
        var truncated = new MemoryStream(state.ToArray()[..^5]);
        Assert.Throws<InvalidDataException>(() => new PlantDiagnoser(new PlantDiagnosisOptions()).ReadState(truncated));

        var otherOrders = new PlantDiagnoser(new PlantDiagnosisOptions { Bearing = new BearingDiagnosisOptions { FaultOrders = [2.2] } });
        state.Position = 0;
        Assert.Throws<InvalidDataException>(() => otherOrders.ReadState(state));
    }

    [Fact]
    public void Invalid_options_are_named()
    {
        var errors = new List<string>();
        new PlantDiagnosisOptions { Bearing = new BearingDiagnosisOptions { FaultOrders = [] }, Supply = new SupplyDiagnosisOptions { SagFraction = 2 } }.Validate("Analytics:Diagnosis:", errors);
        Assert.Contains(errors, e => e.StartsWith("Analytics:Diagnosis:Bearing:FaultOrders", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Analytics:Diagnosis:Supply:SagFraction", StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => new PlantDiagnoser(new PlantDiagnosisOptions { Speed = new ShaftSpeedDiagnosisOptions { MinCrossings = 0 } }));
    }

    [Fact]
    public void Samples_it_cannot_use_are_skipped_and_counted_never_thrown_on()
    {
        var diagnoser = new PlantDiagnoser(new PlantDiagnosisOptions());
        var t = PlantRig.Start.UtcDateTime;
        diagnoser.OnUpperTemperature(t, double.NaN);
        diagnoser.OnShaftSpeed(t, double.PositiveInfinity);
        diagnoser.OnSpectrumBand(t, 50, 1);
        diagnoser.OnSpectrumBand(t, -1, 1);
        diagnoser.OnSpectrum(t, new double[3]);
        Assert.Equal(5, diagnoser.Skipped);
        diagnoser.OnUpperTemperature(t, double.NaN, SignalStatus.BadSensorFailure);
        Assert.Equal(PlantFaultTypes.BadReading, Assert.Single(diagnoser.Active).FaultType);
        diagnoser.OnLowerTemperature(t, 0, SignalStatus.BadCommunicationError);
        Assert.Single(diagnoser.Active);
    }
}
