using ThermalPlant.Analytics.Diagnosis;
using ThermalPlant.Simulation;

namespace ThermalPlant.Analytics.Tests.Diagnosis;

/// <summary>The simulated plant in virtual time feeding a diagnoser as the OPC server's client would, recording every change.</summary>
internal sealed class PlantRig : IPlantSignals
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    public PlantRig(int seed = 1, bool audio = false, PlantDiagnoser? diagnoser = null, SimulationOptions? simulation = null)
    {
        Simulation = simulation ?? new SimulationOptions { Seed = seed };
        Plant = new VirtualPlant(Simulation, new VirtualPlantOptions { SpectrumSeconds = audio ? 10 : null }, Start);
        Diagnoser = diagnoser ?? new PlantDiagnoser(new PlantDiagnosisOptions());
        Diagnoser.Changed += d => Changes.Add((Plant.Now, d));
    }

    public SimulationOptions Simulation { get; }

    public VirtualPlant Plant { get; }

    public PlantDiagnoser Diagnoser { get; }

    public List<(DateTime At, Analytics.Diagnosis.Diagnosis Diagnosis)> Changes { get; } = [];

    /// <summary>Runs for <paramref name="duration"/>.</summary>
    public void Run(TimeSpan duration) => Plant.Run(duration, this);

    /// <summary>Runs until <paramref name="component"/> is diagnosed with <paramref name="faultType"/>, at most <paramref name="limit"/>; the time it took, or null.</summary>
    public TimeSpan? RunUntil(string component, string faultType, TimeSpan limit)
    {
        var start = Plant.Now;
        var step = TimeSpan.FromSeconds(1);
        while (Plant.Now - start < limit)
        {
            Plant.Run(step, this);
            var hit = Changes.FirstOrDefault(c => c.At >= start && c.Diagnosis.Component == component && c.Diagnosis.FaultType == faultType);
            if (hit.Diagnosis is not null) return hit.At - start;
        }
        return null;
    }

    /// <summary>The new faults (not changes of severity) raised since <paramref name="since"/>, as "component/type: evidence".</summary>
    public List<string> RaisedSince(DateTime since)
    {
        var previous = new Dictionary<string, string>();
        var raised = new List<string>();
        foreach (var (at, diagnosis) in Changes)
        {
            previous.TryGetValue(diagnosis.Component, out var type);
            previous[diagnosis.Component] = diagnosis.FaultType;
            if (at >= since && diagnosis.Severity != FaultSeverity.None && diagnosis.FaultType != type) raised.Add($"{diagnosis.Component}/{diagnosis.FaultType}: {diagnosis.Evidence}");
        }
        return raised;
    }

    public void UpperTemperature(DateTime timestampUtc, double celsius, bool good) => Diagnoser.OnUpperTemperature(timestampUtc, celsius, Status(good));

    public void LowerTemperature(DateTime timestampUtc, double celsius, bool good) => Diagnoser.OnLowerTemperature(timestampUtc, celsius, Status(good));

    public void ShaftSpeed(DateTime timestampUtc, double rpm, bool good) => Diagnoser.OnShaftSpeed(timestampUtc, rpm, Status(good));

    public void SupplyVoltage(DateTime timestampUtc, double volts, bool good) => Diagnoser.OnSupplyVoltage(timestampUtc, volts, Status(good));

    public void Spectrum(DateTime timestampUtc, ReadOnlySpan<double> bandsDb)
    {
        for (var band = 0; band < bandsDb.Length; band++) Diagnoser.OnSpectrumBand(timestampUtc, band, bandsDb[band]);
    }

    private static uint Status(bool good) => good ? SignalStatus.Good : SignalStatus.BadSensorFailure;
}
