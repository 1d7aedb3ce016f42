namespace ThermalPlant.Benchmarks.Detectors;

/// <summary>A NAB scoring profile: the weights of a true positive, a false positive and a false negative.</summary>
internal sealed record NabProfile(string Name, double TruePositive, double FalsePositive, double FalseNegative)
{
    public static readonly NabProfile[] All =
    [
        new("standard", 1.0, 0.11, 1.0),
        new("reward-low-fp", 1.0, 0.22, 1.0),
        new("reward-low-fn", 1.0, 0.11, 2.0),
    ];
}

/// <summary>A profile's normalised score (null detector 0, perfect 100) at the corpus-wide threshold that maximises it.</summary>
internal sealed record NabResult(string Profile, double Score, double Threshold, int Detected, int Windows, int FalsePositives);

/// <summary>
/// Scores detectors the way the Numenta Anomaly Benchmark does, written from its published description:
/// <list type="bullet">
/// <item>each labelled anomaly gets a window centred on it; the windows of a series add up to 10 % of its length;</item>
/// <item>the first 15 % of a series (at most 750 samples) is probation: detections there count for nothing;</item>
/// <item>a sample is a detection when its score is at or above the threshold; the first detection in a window earns
///   A_TP·σ(y)/σ(-1), with σ(y) = 2/(1+e^(5y)) - 1 and y the detection's position from -1 (window start) to 0 (end);
///   later detections in the same window count for nothing; a window without detection costs A_FN;</item>
/// <item>a detection outside every window costs A_FP·σ(y), y its distance after the last window in window widths
///   (full cost 1 beyond 3 widths, and before the first window);</item>
/// <item>one threshold for the whole corpus, the one maximising the total; the total is normalised so that no
///   detection scores 0 and a detection at the start of every window 100.</item>
/// </list>
/// The sweep is exact: between two consecutive "first crossing in a window" values the true positives do not change
/// and the false positives only fall as the threshold rises, so only those values (and no detection) are candidates.
/// </summary>
internal static class NabScorer
{
    private static readonly double MaxTruePositive = Sigmoid(-1);

    public static IReadOnlyList<NabResult> Score(IReadOnlyList<LabelledSeries> corpus, IReadOnlyList<double[]> scores)
    {
        var windows = new List<Window>();
        var outside = new List<(double Score, double Weight)>();
        for (var f = 0; f < corpus.Count; f++)
        {
            var series = corpus[f];
            var s = scores[f];
            var length = series.Values.Length;
            var probation = Math.Min((int)(0.15 * length), 750);
            var spans = WindowsOf(series);
            var inWindow = new int[length];
            Array.Fill(inWindow, -1);
            for (var w = 0; w < spans.Count; w++)
            {
                for (var i = spans[w].Start; i <= spans[w].End; i++) inWindow[i] = w;
            }
            foreach (var (start, end) in spans)
            {
                // The window's record crossings: index i matters for threshold t when s[i] is above every earlier score in the window.
                var records = new List<(double Score, double Reward)>();
                var best = double.NegativeInfinity;
                for (var i = Math.Max(start, probation); i <= end; i++)
                {
                    if (s[i] > best)
                    {
                        best = s[i];
                        var y = -(end - i + 1) / (double)(end - start + 1);
                        records.Add((s[i], Sigmoid(y) / MaxTruePositive));
                    }
                }
                windows.Add(new Window(records));
            }
            var lastEnd = -1;
            var lastWidth = 0;
            for (var i = 0; i < length; i++)
            {
                if (inWindow[i] >= 0)
                {
                    var span = spans[inWindow[i]];
                    (lastEnd, lastWidth) = (span.End, span.End - span.Start + 1);
                    continue;
                }
                if (i < probation) continue;
                var weight = lastEnd < 0 ? 1.0 : -Sigmoid((i - lastEnd) / (double)Math.Max(1, lastWidth - 1));
                outside.Add((s[i], weight));
            }
        }

        outside.Sort((a, b) => b.Score.CompareTo(a.Score));
        var outsideScores = outside.Select(o => o.Score).ToArray();
        var outsideWeights = new double[outside.Count + 1];
        for (var i = 0; i < outside.Count; i++) outsideWeights[i + 1] = outsideWeights[i] + outside[i].Weight;

        var candidates = windows.SelectMany(w => w.Records.Select(r => r.Score)).Distinct().ToList();
        candidates.Add(double.PositiveInfinity);
        var results = new List<NabResult>();
        foreach (var profile in NabProfile.All)
        {
            var best = (Total: double.NegativeInfinity, Threshold: 0.0, Detected: 0, FalsePositives: 0);
            foreach (var threshold in candidates)
            {
                var total = 0.0;
                var detected = 0;
                foreach (var window in windows)
                {
                    var reward = window.RewardAt(threshold);
                    if (reward is { } r)
                    {
                        total += profile.TruePositive * r;
                        detected++;
                    }
                    else
                    {
                        total -= profile.FalseNegative;
                    }
                }
                var falsePositives = CountAtOrAbove(outsideScores, threshold);
                total -= profile.FalsePositive * outsideWeights[falsePositives];
                if (total > best.Total) best = (total, threshold, detected, falsePositives);
            }
            var nullScore = -profile.FalseNegative * windows.Count;
            var perfect = profile.TruePositive * windows.Count;
            var normalised = windows.Count == 0 ? 0 : 100 * (best.Total - nullScore) / (perfect - nullScore);
            results.Add(new NabResult(profile.Name, normalised, best.Threshold, best.Detected, windows.Count, best.FalsePositives));
        }
        return results;
    }

    /// <summary>The NAB windows of a series: centred on each anomaly, 10 % of the length shared between them, clipped to the series.</summary>
    public static List<(int Start, int End)> WindowsOf(LabelledSeries series)
    {
        var length = series.Values.Length;
        var spans = new List<(int, int)>();
        if (series.Anomalies.Length == 0) return spans;
        var width = Math.Max(1, (int)(0.1 * length / series.Anomalies.Length));
        foreach (var anomaly in series.Anomalies.Order())
        {
            var start = Math.Max(0, anomaly - (width / 2));
            var end = Math.Min(length - 1, start + width - 1);
            spans.Add((start, end));
        }
        return spans;
    }

    private static double Sigmoid(double y) => y > 3 ? -1 : (2 / (1 + Math.Exp(5 * y))) - 1;

    // outsideScores is sorted descending: the count of scores >= threshold.
    private static int CountAtOrAbove(double[] outsideScores, double threshold)
    {
        int lo = 0, hi = outsideScores.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (outsideScores[mid] >= threshold) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private sealed record Window(List<(double Score, double Reward)> Records)
    {
        // The first record at or above the threshold is the first detection in the window.
        public double? RewardAt(double threshold)
        {
            foreach (var (score, reward) in Records)
            {
                if (score >= threshold) return reward;
            }
            return null;
        }
    }
}
