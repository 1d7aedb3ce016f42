using ThermalPlant.Analytics.Diagnosis;
using ThermalPlant.Simulation;

namespace ThermalPlant.Cli.Analytics;

/// <summary>
/// Runs the simulated plant and the diagnosers together in virtual time: after a warm-up, faults of the chosen types
/// are injected one at a time at random times with random figures, each followed by a grace period, with normal
/// running in between. Every new diagnosis is matched to the fault in force (detection, delay, right diagnosis) or,
/// in normal running, counted as a false alarm. Deterministic for a seed.
/// </summary>
internal sealed class PlantEvaluation
{
    /// <summary>Time after a fault is cleared in which a diagnosis still counts for it.</summary>
    private static readonly TimeSpan DetectionAllowance = TimeSpan.FromMinutes(2);

    /// <summary>A fault diagnosed right is cleared this long after, if its drawn time has not run out first.</summary>
    private static readonly TimeSpan RepairAfterDiagnosis = TimeSpan.FromMinutes(15);

    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly EvaluationSettings _settings;

    public PlantEvaluation(EvaluationSettings settings) => _settings = settings;

    /// <summary>Runs every seed and sums the results.</summary>
    public EvaluationReport Run(Action<string>? progress = null)
    {
        var faults = new List<FaultOutcome>();
        var falseAlarms = new List<FalseAlarm>();
        var scalarFalseAlarms = new List<FalseAlarm>();
        long detectorSamples = 0;
        double detectorSeconds = 0, stateBytes = 0;
        double normalHours = 0;
        long spectra = 0;
        double scalarSeconds = 0, audioSeconds = 0;
        long samples = 0;
        var memory = new List<long>();
        for (var run = 0; run < _settings.Runs; run++)
        {
            var seed = _settings.Seed + run;
            var result = RunOne(seed, progress);
            faults.AddRange(result.Faults);
            falseAlarms.AddRange(result.FalseAlarms);
            scalarFalseAlarms.AddRange(result.ScalarFalseAlarms);
            detectorSamples += result.ScalarDetectorSamples;
            detectorSeconds += result.ScalarDetectorSeconds;
            stateBytes = Math.Max(stateBytes, result.ScalarStateBytesPerTag);
            normalHours += result.NormalHours;
            spectra += result.Spectra;
            scalarSeconds += result.ScalarSeconds;
            audioSeconds += result.AudioSeconds;
            samples += result.Samples;
            memory.AddRange(result.MemoryBytes);
        }
        return EvaluationReport.From(_settings, faults, falseAlarms, scalarFalseAlarms, normalHours,
            new CostFigures(spectra, samples, audioSeconds, scalarSeconds, detectorSamples, detectorSeconds, stateBytes), memory);
    }

    private RunResult RunOne(int seed, Action<string>? progress)
    {
        var plant = new VirtualPlant(new SimulationOptions { Seed = seed }, new VirtualPlantOptions { SpectrumSeconds = _settings.SpectrumSeconds }, Start);
        var diagnoser = new PlantDiagnoser(new PlantDiagnosisOptions());
        var scalars = new ScalarWatch();
        var feed = new DiagnoserFeed(diagnoser, scalars);
        var schedule = new Random(unchecked((seed * 7919) + 13));
        var end = plant.Now.AddHours(_settings.Hours);
        var result = new RunResult();
        FaultOutcome? current = null;
        var types = new Queue<FaultType>();

        diagnoser.Changed += d =>
        {
            if (!feed.IsNewFault(d)) return;
            var at = plant.Now;
            if (current is not null && at <= current.ClearedAt + DetectionAllowance && at >= current.InjectedAt)
            {
                var fault = current;
                if (fault.Record(d, at)) feed.After(() => fault.HarmonicRiseDb = HarmonicRise(plant, diagnoser, fault));
            }
            else if (current is null && at >= feed.NormalSince)
            {
                result.FalseAlarms.Add(new FalseAlarm(seed, at, d.Component, d.FaultType, d.Evidence));
            }
        };

        scalars.Alarm += tag =>
        {
            var at = plant.Now;
            if (current is not null && at <= current.ClearedAt + DetectionAllowance && at >= current.InjectedAt) current.ScalarFirstAt ??= at;
            else if (current is null && at >= feed.NormalSince) result.ScalarFalseAlarms.Add(new FalseAlarm(seed, at, tag, "anomalous", ""));
        };

        // Warm-up: every diagnoser learns the healthy plant first.
        Advance(plant, feed, _settings.WarmupHours * 3600, end, result, normal: false);
        feed.NormalSince = plant.Now;
        while (plant.Now < end)
        {
            var gap = 60 * (30 + (60 * schedule.NextDouble()));
            Advance(plant, feed, gap, end, result, normal: true);
            if (plant.Now >= end) break;
            if (types.Count == 0)
            {
                foreach (var type in _settings.Types.OrderBy(_ => schedule.Next())) types.Enqueue(type);
            }
            var (spec, seconds) = FaultFigures.Draw(types.Dequeue(), schedule, diagnoser.Options.Bearing.FaultOrders);
            // A fault that could not run its time before the end is not injected: it would count as missed.
            if (plant.Now.AddSeconds(seconds) > end) break;
            var active = plant.Model.Inject(spec);
            current = new FaultOutcome(seed, spec, plant.Now, plant.Now.AddSeconds(seconds));
            // The fault stays its drawn time, or is repaired a while after it was diagnosed right, as a plant would.
            var repairAt = current.InjectedAt.AddSeconds(seconds);
            while (repairAt - plant.Now >= TimeSpan.FromSeconds(1) && plant.Now < end && !(current.CorrectAt + RepairAfterDiagnosis <= plant.Now))
            {
                Advance(plant, feed, Math.Min(60, (repairAt - plant.Now).TotalSeconds), end, result, normal: false);
            }
            plant.Model.Clear(active.Id);
            current.ClearedAt = plant.Now;
            result.Faults.Add(current);
            // Grace: detection allowance, then the diagnosers' own recovery; not normal running.
            Advance(plant, feed, _settings.GraceMinutes * 60, end, result, normal: false);
            current = null;
            feed.NormalSince = plant.Now;
            progress?.Invoke($"seed {seed}: {plant.Now - Start.UtcDateTime:d\\.hh\\:mm} {result.Faults.Count} faults, {result.FalseAlarms.Count} false alarms");
        }
        result.Spectra = plant.Spectra;
        result.ScalarDetectorSamples = scalars.Samples;
        result.ScalarDetectorSeconds = scalars.Elapsed.TotalSeconds;
        result.ScalarStateBytesPerTag = scalars.Tags > 0 ? (double)scalars.StateBytes() / scalars.Tags : 0;
        result.Samples = feed.ScalarSamples;
        result.ScalarSeconds = feed.ScalarElapsed.TotalSeconds;
        result.AudioSeconds = feed.AudioElapsed.TotalSeconds;
        return result;
    }

    private void Advance(VirtualPlant plant, DiagnoserFeed feed, double seconds, DateTime end, RunResult result, bool normal)
    {
        var until = plant.Now.AddSeconds(seconds);
        if (until > end) until = end;
        // In slices, so the memory of the diagnoser can be sampled along a long run.
        while (plant.Now < until)
        {
            var slice = TimeSpan.FromMinutes(Math.Min(60, (until - plant.Now).TotalMinutes));
            if (slice < TimeSpan.FromSeconds(1)) break;
            plant.Run(slice, feed);
            if (normal) result.NormalHours += slice.TotalHours;
            if (_settings.TrackMemory && plant.Now.Minute == 0 && plant.Now.Second == 0) result.MemoryBytes.Add(GC.GetTotalMemory(forceFullCollection: true));
        }
    }

    /// <summary>What the wear tones add, now, to the band at the worst injected order: with against without them.</summary>
    private static double HarmonicRise(VirtualPlant plant, PlantDiagnoser diagnoser, FaultOutcome fault)
    {
        var state = plant.Model.Sample();
        var with = new double[diagnoser.Options.Spectrum.Bands];
        var without = new double[with.Length];
        plant.Analyse(state, with);
        plant.Analyse(state with { Wear = [] }, without);
        var rise = double.NaN;
        foreach (var order in fault.Spec.Harmonics ?? [])
        {
            var band = diagnoser.Layout.BandOf(order * state.Rpm / 60);
            if (band >= 0 && !(with[band] - without[band] <= rise)) rise = with[band] - without[band];
        }
        return rise;
    }

    private sealed class RunResult
    {
        public List<FaultOutcome> Faults { get; } = [];
        public List<FalseAlarm> FalseAlarms { get; } = [];
        public List<FalseAlarm> ScalarFalseAlarms { get; } = [];
        public long ScalarDetectorSamples { get; set; }
        public double ScalarDetectorSeconds { get; set; }
        public double ScalarStateBytesPerTag { get; set; }
        public List<long> MemoryBytes { get; } = [];
        public double NormalHours { get; set; }
        public long Spectra { get; set; }
        public long Samples { get; set; }
        public double ScalarSeconds { get; set; }
        public double AudioSeconds { get; set; }
    }
}
