using System.Diagnostics;
using System.Globalization;
using ThermalPlant.Analytics.Scalar;

namespace ThermalPlant.Benchmarks.Detectors;

/// <summary>
/// The scalar detectors' figures, every one measured in this run: NAB-method scores (three profiles) on our seeded
/// synthetic corpus for the default ensemble, each of its parts and the windowed Gaussian anchor, with the ratio to
/// the anchor; detection per kind of change; CPU per sample and state per tag; and a soak of many tags over 24 h of
/// virtual time at 1 Hz with the managed heap sampled every virtual hour.
/// The corpus is split by seed: the development set (<c>--seed</c>) is the one to tune on and look at; the held-out
/// set (<c>--holdout-seed</c>, generated the same way from another seed) is only scored, so that a change that fits
/// the development set's draws and not the kinds of change shows as a gap between the two scores.
/// Usage: <c>detectors [--seed 14] [--holdout-seed 1014] [--replicates 3] [--soak-tags 1000] [--soak-hours 24] [--cost-seconds 5]
/// [--detector NAME] [--dump DIR] [--misses] [--suppress N] [--learning N] [--slow N] [--fast N]</c>.
/// <c>--misses</c> lists, for the development set only, every window the default (or the named) detector missed at
/// the standard threshold, with the highest score it reached there: where to look next, without opening the held-out set.
/// </summary>
internal static class DetectorsDriver
{
    private static readonly string[] Names = ["gaussian", "default", "level", "shift", "variance", "stuck", "seasonal", "drift"];

    // The corpus scores use the defaults unless --suppress, --learning, --slow or --fast say otherwise (to measure sensitivity).
    private static ScalarDetectorOptions Options { get; set; } = new();

    public static int Run(string[] args)
    {
        var seed = (int)Arg(args, "--seed", 14);
        var holdoutSeed = (int)Arg(args, "--holdout-seed", 1014);
        var replicates = (int)Arg(args, "--replicates", 3);
        var soakTags = (int)Arg(args, "--soak-tags", 1000);
        var soakHours = Arg(args, "--soak-hours", 24);
        var costSeconds = Arg(args, "--cost-seconds", 5);
        var only = ArgText(args, "--detector");
        var dump = ArgText(args, "--dump");
        var misses = args.Contains("--misses");
        Options = new ScalarDetectorOptions
        {
            SuppressSamples = (int)Arg(args, "--suppress", Options.SuppressSamples),
            LearningSamples = (int)Arg(args, "--learning", Options.LearningSamples),
            SlowWindow = (int)Arg(args, "--slow", Options.SlowWindow),
            FastWindow = (int)Arg(args, "--fast", Options.FastWindow),
        };
        if (Options != new ScalarDetectorOptions()) Print($"settings: {Options}");

        if (holdoutSeed == seed) throw new ArgumentException("--holdout-seed must differ from --seed");
        foreach (var (set, setSeed) in new[] { ("development", seed), ("held-out", holdoutSeed) })
        {
            var corpus = SyntheticCorpus.Generate(setSeed, replicates);
            var samples = corpus.Sum(s => s.Values.Length);
            var windows = corpus.Sum(s => s.Anomalies.Length);
            Print($"{set} corpus: seed {setSeed}, {corpus.Count} series ({replicates} per background and change), {samples:N0} samples, {windows} anomaly windows");
            var anchor = default(IReadOnlyList<NabResult>);
            foreach (var name in only is null ? Names : ["gaussian", only])
            {
                var scores = corpus.Select(series => ScoreSeries(name, series)).ToList();
                var results = NabScorer.Score(corpus, scores);
                if (dump is not null && set == "development") Dump(dump, name, corpus, scores);
                anchor ??= results;
                var line = string.Join("; ", results.Select((r, i) =>
                    $"{r.Profile} {r.Score:F1} (x{r.Score / anchor[i].Score:F2} of the anchor; threshold {r.Threshold:G4}, {r.Detected}/{r.Windows} windows, {r.FalsePositives} FP)"));
                Print($"NAB {set} {name}{(name == "gaussian" ? " (anchor)" : "")}: {line}");
                if (name == "default" || name == only)
                {
                    PrintBreakdown(corpus, scores, results[0].Threshold, s => s.Change);
                    PrintBreakdown(corpus, scores, results[0].Threshold, s => s.Background);
                    if (misses && set == "development") PrintMisses(corpus, scores, results[0].Threshold);
                }
            }
        }

        // 0 skips the cost or the soak (for iterating on the scores alone).
        if (costSeconds > 0)
        {
            Cost("default", costSeconds);
            Cost("gaussian", costSeconds);
        }
        if (soakTags > 0 && soakHours > 0) Soak(soakTags, soakHours);
        return 0;
    }

    // For looking at a detector's behaviour: one CSV per series with the value, the score and the anomaly windows.
    private static void Dump(string directory, string name, List<LabelledSeries> corpus, List<double[]> scores)
    {
        Directory.CreateDirectory(Path.Combine(directory, name));
        for (var f = 0; f < corpus.Count; f++)
        {
            var series = corpus[f];
            var spans = NabScorer.WindowsOf(series);
            using var writer = new StreamWriter(Path.Combine(directory, name, series.Name.Replace('/', '_') + ".csv"));
            writer.WriteLine("timestamp,value,score,window,onset");
            for (var i = 0; i < series.Values.Length; i++)
            {
                var window = spans.Any(w => i >= w.Start && i <= w.End) ? 1 : 0;
                var onset = Array.IndexOf(series.Anomalies, i) >= 0 ? 1 : 0;
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{series.Timestamps[i]:yyyy-MM-dd HH:mm:ss},{series.Values[i]:R},{scores[f][i]:R},{window},{onset}"));
            }
        }
    }

    private static double[] ScoreSeries(string name, LabelledSeries series)
    {
        var detector = ScalarDetectors.Create(name, Options);
        var scores = new double[series.Values.Length];
        for (var i = 0; i < scores.Length; i++) scores[i] = detector.Update(series.Timestamps[i], series.Values[i]).Score;
        return scores;
    }

    // Per kind of change (or background) at the standard profile's threshold: windows detected, median delay from
    // the onset in samples, and false detections per 1,000 samples outside windows after probation.
    private static void PrintBreakdown(List<LabelledSeries> corpus, List<double[]> scores, double threshold, Func<LabelledSeries, string> key)
    {
        foreach (var group in corpus.Select((s, i) => (Series: s, Scores: scores[i])).GroupBy(x => key(x.Series)))
        {
            int detected = 0, total = 0, falseDetections = 0, normalSamples = 0;
            var delays = new List<int>();
            foreach (var (series, s) in group)
            {
                var spans = NabScorer.WindowsOf(series);
                var probation = Math.Min((int)(0.15 * s.Length), 750);
                var onsets = series.Anomalies.Order().ToArray();
                for (var w = 0; w < spans.Count; w++)
                {
                    total++;
                    for (var i = Math.Max(spans[w].Start, probation); i <= spans[w].End; i++)
                    {
                        if (s[i] < threshold) continue;
                        detected++;
                        delays.Add(i - onsets[w]);
                        break;
                    }
                }
                for (var i = probation; i < s.Length; i++)
                {
                    if (spans.Any(w => i >= w.Start && i <= w.End)) continue;
                    normalSamples++;
                    if (s[i] >= threshold) falseDetections++;
                }
            }
            delays.Sort();
            var median = delays.Count == 0 ? "-" : delays[delays.Count / 2].ToString(CultureInfo.InvariantCulture);
            Print($"  {group.Key,-15} detected {detected}/{total}, median delay {median} samples, {1000.0 * falseDetections / Math.Max(1, normalSamples):F2} detections per 1,000 normal samples");
        }
    }

    // Every window with no score at or above the threshold after probation: the series, the onset (sample and time
    // of week) and the highest score in the window, so a near miss (0.45) reads apart from a blind spot (0.05).
    private static void PrintMisses(List<LabelledSeries> corpus, List<double[]> scores, double threshold)
    {
        var missed = 0;
        for (var f = 0; f < corpus.Count; f++)
        {
            var series = corpus[f];
            var s = scores[f];
            var probation = Math.Min((int)(0.15 * s.Length), 750);
            var spans = NabScorer.WindowsOf(series);
            var onsets = series.Anomalies.Order().ToArray();
            for (var w = 0; w < spans.Count; w++)
            {
                var from = Math.Max(spans[w].Start, probation);
                if (from > spans[w].End) continue;
                var highest = s.AsSpan(from, spans[w].End - from + 1).ToArray().Max();
                if (highest >= threshold) continue;
                missed++;
                var at = series.Timestamps[onsets[w]];
                Print($"  missed {series.Name}: onset {onsets[w]} ({at:ddd HH:mm}, day {(at - series.Timestamps[0]).TotalDays:F1}), window {spans[w].Start}-{spans[w].End}, highest score {highest:F2}");
            }
        }
        Print($"  {missed} windows missed at threshold {threshold:G4}");
    }

    private static void Cost(string name, double seconds)
    {
        const int Tags = 1000;
        var detectors = Enumerable.Range(0, Tags).Select(_ => ScalarDetectors.Create(name)).ToArray();
        var noise = new double[4096];
        var rng = new Random(1);
        for (var i = 0; i < noise.Length; i++) noise[i] = rng.NextDouble() - 0.5 + Math.Sin(i * 0.01);
        var t = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        // Warm-up past learning, so the measured loop is the scoring path.
        var step = 0;
        for (; step < 300; step++) UpdateAll(detectors, t.AddSeconds(step), noise, step);
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        long updates = 0;
        while (wall.Elapsed.TotalSeconds < seconds)
        {
            UpdateAll(detectors, t.AddSeconds(step), noise, step);
            step++;
            updates += Tags;
        }
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) detectors[0].WriteState(writer);
        Print($"cost {name}: {1e6 * cpu / updates:F3} us CPU per sample over {updates:N0} samples of {Tags} tags (goal <= 2 us), {allocated / (double)updates:F3} bytes allocated per sample, state {stream.Length} bytes per tag (goal <= 4096)");
    }

    private static void UpdateAll(ScalarDetector[] detectors, DateTime t, double[] noise, int step)
    {
        for (var k = 0; k < detectors.Length; k++) detectors[k].Update(t, noise[(step + (k * 37)) & 4095] * (1 + (k % 7)));
    }

    // Memory flat: the detectors of soakTags tags fed 1 Hz for soakHours of virtual time; the managed heap after a
    // full collection each virtual hour must not grow once the detectors exist.
    private static void Soak(int tags, double hours)
    {
        var detectors = Enumerable.Range(0, tags).Select(_ => ScalarDetectors.Create(ScalarDetectors.DefaultName)).ToArray();
        var noise = new double[4096];
        var rng = new Random(2);
        for (var i = 0; i < noise.Length; i++) noise[i] = rng.NextDouble();
        var t = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var heaps = new List<long>();
        var seconds = (long)(hours * 3600);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        heaps.Add(GC.GetTotalMemory(forceFullCollection: true));
        for (long s = 0; s < seconds; s++)
        {
            var at = t.AddSeconds(s);
            for (var k = 0; k < detectors.Length; k++) detectors[k].Update(at, noise[(int)((s + (k * 31)) & 4095)]);
            if ((s + 1) % 3600 == 0) heaps.Add(GC.GetTotalMemory(forceFullCollection: true));
        }
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        var hourly = string.Join(", ", heaps.Where((_, i) => i == 0 || i == 1 || i == heaps.Count - 1 || i % 6 == 0).Select(h => (h / 1048576.0).ToString("F2", CultureInfo.InvariantCulture)));
        Print($"soak: {tags} tags x {hours:G} h at 1 Hz virtual ({tags * seconds:N0} samples, {cpu:F1} s CPU): managed heap MB at start, hour 1, every 6 h and the end: {hourly}; growth after hour 1: {(heaps[^1] - heaps[Math.Min(1, heaps.Count - 1)]) / 1024.0:F1} KB");
    }

    private static double Arg(string[] args, string name, double fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? double.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string? ArgText(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }

    private static void Print(string line) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"detectors: {line}"));
}
