namespace ThermalPlant.Benchmarks.Detectors;

/// <summary>One labelled series: samples and the indices where anomalies start.</summary>
internal sealed record LabelledSeries(string Name, string Background, string Change, DateTime[] Timestamps, double[] Values, int[] Anomalies);

/// <summary>
/// Our own labelled corpus, generated from a seed (never a public benchmark's data): every background a plant or a
/// server metric shows (white noise, autocorrelated noise, a wandering level, noise with frequent large normal
/// excursions, a daily pattern, a daily and weekly pattern, small counts, irregular sampling with gaps, a daily pattern
/// with autocorrelated noise) crossed with every kind of change the detectors are asked to catch, plus normal
/// series with no change. Scales and levels are drawn at random, so nothing can be tuned to one series' units.
/// </summary>
internal static class SyntheticCorpus
{
    // New backgrounds go at the end: a series' seed mixes its background's index, so the others stay the same draws.
    public static readonly string[] Backgrounds = ["noise", "autoregressive", "random-walk", "heavy-tailed", "daily", "daily-weekly", "counts", "irregular", "daily-autoregressive"];

    public static readonly string[] Changes = ["none", "spike", "level-shift", "variance-up", "variance-down", "drift", "stuck", "daily-pattern", "weekly-pattern"];

    private static readonly DateTime Start = new(2014, 4, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>Generates <paramref name="replicates"/> series per background and change that fit together (a daily pattern change needs a daily pattern).</summary>
    public static List<LabelledSeries> Generate(int seed, int replicates)
    {
        var corpus = new List<LabelledSeries>();
        for (var b = 0; b < Backgrounds.Length; b++)
        {
            for (var c = 0; c < Changes.Length; c++)
            {
                var background = Backgrounds[b];
                var change = Changes[c];
                if (change == "daily-pattern" && background is not ("daily" or "daily-weekly" or "irregular" or "daily-autoregressive")) continue;
                if (change == "weekly-pattern" && background != "daily-weekly") continue;
                for (var r = 0; r < replicates; r++)
                {
                    // System.Random with a seed is the same sequence on every run and machine; HashCode is not, so the seed is mixed by hand.
                    var rng = new Random(unchecked((seed * 7919) + (b * 104729) + (c * 1299709) + (r * 15485863)) & 0x7FFFFFFF);
                    corpus.Add(Make(rng, background, change, $"{background}/{change}/{r}"));
                }
            }
        }
        return corpus;
    }

    private static LabelledSeries Make(Random rng, string background, string change, string name)
    {
        var length = background == "daily-weekly" ? 10_000 : 4_000;
        var step = TimeSpan.FromMinutes(5);
        var timestamps = new DateTime[length];
        var t = Start.AddMinutes(rng.Next(0, 288) * 5);
        for (var i = 0; i < length; i++)
        {
            timestamps[i] = t;
            if (background == "irregular")
            {
                var minutes = -Math.Log(1 - rng.NextDouble()) * 5 + 0.5;
                if (rng.NextDouble() < 0.003) minutes += 60 * (1 + (rng.NextDouble() * 5));
                t = t.AddSeconds(Math.Round(minutes * 60));
            }
            else
            {
                t += step;
            }
        }

        var counts = background == "counts";
        var countsMean = 3 + (rng.NextDouble() * 10);
        var level = counts ? countsMean : (rng.NextDouble() * 1000) - 100;
        var sigma = counts ? Math.Sqrt(countsMean) : Math.Exp((rng.NextDouble() * 6) - 2);
        var amplitude = counts ? 0.6 * countsMean : sigma * (2 + (rng.NextDouble() * 4));
        var phase = rng.NextDouble() * 2 * Math.PI;
        var hasDaily = background is "daily" or "daily-weekly" or "irregular" or "counts" or "daily-autoregressive";

        // The anomalies: one or two onsets, apart, after the first third (so there is history to learn from).
        var count = change == "none" ? 0 : (change == "weekly-pattern" ? 1 : 1 + rng.Next(2));
        var onsets = new int[count];
        for (var k = 0; k < count; k++)
        {
            var from = count == 1 ? 0.35 : (k == 0 ? 0.35 : 0.68);
            var to = count == 1 ? 0.9 : (k == 0 ? 0.55 : 0.9);
            onsets[k] = (int)(length * (from + ((to - from) * rng.NextDouble())));
        }
        if (change == "weekly-pattern") onsets[0] = NextWeekendStart(timestamps, (int)(length * 0.7));
        if (change == "daily-pattern") onsets[0] = Math.Max(onsets[0], NextDayStart(timestamps, onsets[0]));

        var values = new double[length];
        var ar = 0.0;
        var noiseScale = new double[length];
        Array.Fill(noiseScale, 1.0);
        var dailyOff = new bool[length];
        var weekendOff = new bool[length];
        var dailyShift = new double[length];
        var offset = new double[length];
        var stuckFrom = new int[length];
        Array.Fill(stuckFrom, -1);
        var spikes = new double[length];
        var spread = sigma + amplitude;
        foreach (var onset in onsets)
        {
            var duration = 150 + rng.Next(250);
            var end = Math.Min(length, onset + duration);
            var sign = rng.Next(2) == 0 ? -1 : 1;
            switch (change)
            {
                case "spike":
                    spikes[onset] = sign * spread * (4 + (rng.NextDouble() * 4));
                    break;
                case "level-shift":
                    var shiftBy = sign * sigma * (2.5 + (rng.NextDouble() * 3));
                    for (var i = onset; i < length; i++) offset[i] += shiftBy;
                    break;
                case "variance-up":
                    var up = 3 + (rng.NextDouble() * 2);
                    for (var i = onset; i < end; i++) noiseScale[i] = up;
                    break;
                case "variance-down":
                    var down = 0.05 + (rng.NextDouble() * 0.1);
                    for (var i = onset; i < end; i++) noiseScale[i] = down;
                    break;
                case "drift":
                    var total = sign * sigma * (4 + (rng.NextDouble() * 4));
                    for (var i = onset; i < length; i++) offset[i] += total * Math.Min(1, (i - onset) / 400.0);
                    break;
                case "stuck":
                    for (var i = onset; i < end; i++) stuckFrom[i] = onset;
                    break;
                case "daily-pattern":
                    var dayEnd = Math.Min(length, onset + 320 + rng.Next(300));
                    var flat = rng.Next(2) == 0;
                    var shift = Math.PI * (0.5 + rng.NextDouble());
                    for (var i = onset; i < dayEnd; i++)
                    {
                        if (flat) dailyOff[i] = true;
                        else dailyShift[i] = shift;
                    }
                    break;
                case "weekly-pattern":
                    var weekendEnd = Math.Min(length, onset + 576);
                    for (var i = onset; i < weekendEnd; i++) weekendOff[i] = true;
                    break;
            }
        }

        for (var i = 0; i < length; i++)
        {
            var ts = timestamps[i];
            var hours = ts.Hour + (ts.Minute / 60.0);
            var daily = hasDaily && !dailyOff[i] ? Math.Sin((2 * Math.PI * hours / 24) + phase + dailyShift[i]) : 0;
            var weekend = background == "daily-weekly" && !weekendOff[i] && ts.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
            var noise = Gaussian(rng) * noiseScale[i];
            double value;
            if (counts)
            {
                // Small counts: Poisson around a daily rate; a variance change scales the deviation from the rate.
                var lambda = Math.Max(0.1, countsMean + (amplitude * daily));
                value = lambda + ((Poisson(rng, lambda) - lambda) * noiseScale[i]) + offset[i] + spikes[i];
                value = Math.Max(0, Math.Round(value));
            }
            else
            {
                if (background == "random-walk")
                {
                    ar += 0.05 * Gaussian(rng);
                    noise += ar;
                }
                if (background == "heavy-tailed" && rng.NextDouble() < 0.02) noise *= 4;
                if (background == "autoregressive")
                {
                    ar = (0.95 * ar) + (Math.Sqrt(1 - (0.95 * 0.95)) * Gaussian(rng) * noiseScale[i]);
                    noise = ar;
                }
                if (background == "daily-autoregressive")
                {
                    // A daily pattern whose residual is autocorrelated, as a plant's or a server's is (weather, load).
                    ar = (0.8 * ar) + (Math.Sqrt(1 - (0.8 * 0.8)) * Gaussian(rng) * noiseScale[i]);
                    noise = ar;
                }
                var pattern = amplitude * daily * (weekend ? 0.3 : 1) - (weekend ? amplitude : 0);
                value = level + pattern + (sigma * noise) + offset[i] + spikes[i];
            }
            values[i] = stuckFrom[i] >= 0 ? values[Math.Max(0, stuckFrom[i] - 1)] : value;
        }
        return new LabelledSeries(name, background, change, timestamps, values, onsets);
    }

    private static int NextWeekendStart(DateTime[] timestamps, int from)
    {
        for (var i = from; i < timestamps.Length; i++)
        {
            if (timestamps[i].DayOfWeek == DayOfWeek.Saturday && timestamps[i].Hour == 0) return i;
        }
        return from;
    }

    private static int NextDayStart(DateTime[] timestamps, int from)
    {
        for (var i = from; i < timestamps.Length; i++)
        {
            if (timestamps[i].Hour == 0 && timestamps[i].Minute < 10) return i;
        }
        return from;
    }

    private static double Gaussian(Random rng)
    {
        var u1 = 1 - rng.NextDouble();
        var u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private static int Poisson(Random rng, double lambda)
    {
        var limit = Math.Exp(-lambda);
        var k = 0;
        var p = rng.NextDouble();
        while (p > limit && k < 1000)
        {
            k++;
            p *= rng.NextDouble();
        }
        return k;
    }
}
