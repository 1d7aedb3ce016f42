using ThermalPlant.Analytics.Diagnosis;
using ThermalPlant.Simulation;

namespace ThermalPlant.Cli.Analytics;

/// <summary>One injected fault and what the diagnosers said while it was in force.</summary>
internal sealed class FaultOutcome(int seed, FaultSpec spec, DateTime injectedAt, DateTime clearedAt)
{
    public int Seed { get; } = seed;

    public FaultSpec Spec { get; } = spec;

    public DateTime InjectedAt { get; } = injectedAt;

    public DateTime ClearedAt { get; set; } = clearedAt;

    /// <summary>The first new diagnosis in the fault's window, of any kind.</summary>
    public Diagnosis? First { get; private set; }

    public DateTime? FirstAt { get; private set; }

    /// <summary>When a scalar detector first turned anomalous on any tag in the fault's window.</summary>
    public DateTime? ScalarFirstAt { get; set; }

    /// <summary>When the expected component and fault type were first diagnosed.</summary>
    public DateTime? CorrectAt { get; private set; }

    /// <summary>For bearing wear: what the wear tones added to their band when it was first diagnosed, dB.</summary>
    public double? HarmonicRiseDb { get; set; }

    public (string Component, string FaultType) Expected => Spec.Type switch
    {
        FaultType.OpenThermocouple => (Thermocouple, PlantFaultTypes.BadReading),
        FaultType.StuckThermocouple => (Thermocouple, PlantFaultTypes.Stuck),
        FaultType.ThermocoupleDrift => (Thermocouple, PlantFaultTypes.Drift),
        FaultType.BearingWear => (PlantComponents.Bearing, PlantFaultTypes.BearingWear),
        FaultType.VoltageSag => (PlantComponents.Supply, PlantFaultTypes.VoltageSag),
        FaultType.SupplyRipple => (PlantComponents.Supply, PlantFaultTypes.SupplyRipple),
        FaultType.SpeedHunting => (PlantComponents.Shaft, PlantFaultTypes.SpeedHunting),
        _ => throw new InvalidOperationException($"No expected diagnosis for {Spec.Type}."),
    };

    private string Thermocouple => Spec.Target == "upper" ? PlantComponents.UpperThermocouple : PlantComponents.LowerThermocouple;

    /// <summary>Records a new diagnosis; true when it is the first right one of a bearing wear (whose rise is then measured).</summary>
    public bool Record(Diagnosis diagnosis, DateTime at)
    {
        if (First is null)
        {
            First = diagnosis;
            FirstAt = at;
        }
        if (CorrectAt is not null || (diagnosis.Component, diagnosis.FaultType) != Expected) return false;
        CorrectAt = at;
        return Spec.Type == FaultType.BearingWear;
    }
}
