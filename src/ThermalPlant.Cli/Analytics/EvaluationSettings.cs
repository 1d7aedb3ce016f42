using ThermalPlant.Simulation;

namespace ThermalPlant.Cli.Analytics;

/// <summary>What <c>analytics evaluate</c> runs.</summary>
/// <param name="Hours">Virtual hours per seed, warm-up included.</param>
/// <param name="Seed">The first seed.</param>
/// <param name="Runs">Seeds run one after another (Seed, Seed + 1, ...).</param>
/// <param name="Types">The fault types injected, in turn in a random order.</param>
/// <param name="SpectrumSeconds">Virtual seconds between the spectra handed to the diagnosers.</param>
/// <param name="WarmupHours">Normal running first, while the diagnosers learn; neither faults nor false alarms are counted.</param>
/// <param name="GraceMinutes">After each fault: time for diagnoses to clear, not counted as normal running.</param>
/// <param name="TrackMemory">Measure the managed heap every virtual hour (a full collection each time).</param>
internal sealed record EvaluationSettings(
    double Hours,
    int Seed,
    int Runs,
    IReadOnlyList<FaultType> Types,
    double SpectrumSeconds,
    double WarmupHours = 3,
    double GraceMinutes = 20,
    bool TrackMemory = false);
