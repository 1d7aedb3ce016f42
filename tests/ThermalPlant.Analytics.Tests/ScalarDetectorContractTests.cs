using ThermalPlant.Analytics.Scalar;

namespace ThermalPlant.Analytics.Tests;

/// <summary>What every named detector promises: causality, exact state round trips, bounded state, input rules, no allocation.</summary>
public sealed class ScalarDetectorContractTests
{
    public static TheoryData<string> Names => [.. ScalarDetectors.All.Select(d => d.Name)];

    [Theory]
    [MemberData(nameof(Names))]
    public void The_score_of_every_prefix_equals_the_full_runs(string name)
    {
        // Property: for random series (with changes, gaps, NaN, duplicates and out-of-order samples), the scores of a
        // run over any prefix are exactly the first scores of the run over the whole series.
        for (var seed = 1; seed <= 3; seed++)
        {
            var (times, values) = Hostile(700, seed);
            var full = Series.Run(ScalarDetectors.Create(name), times, values);
            var rng = new Random(seed);
            for (var trial = 0; trial < 25; trial++)
            {
                var length = rng.Next(1, values.Length);
                var prefix = Series.Run(ScalarDetectors.Create(name), times[..length], values[..length]);
                Assert.Equal(full[..length], prefix);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_restored_detector_scores_exactly_as_the_uninterrupted_one(string name)
    {
        var (times, values) = Hostile(3000, 5);
        foreach (var cut in new[] { 1, 150, 250, 1234, 2999 })
        {
            var uninterrupted = ScalarDetectors.Create(name);
            var first = ScalarDetectors.Create(name);
            for (var i = 0; i < cut; i++)
            {
                uninterrupted.Update(times[i], values[i]);
                first.Update(times[i], values[i]);
            }
            var state = Write(first);
            var restored = ScalarDetectors.Create(name);
            using (var reader = new BinaryReader(new MemoryStream(state))) restored.ReadState(reader);
            Assert.Equal(state, Write(restored));
            Assert.Equal(first.Counts, restored.Counts);
            for (var i = cut; i < values.Length; i++) Assert.Equal(uninterrupted.Update(times[i], values[i]), restored.Update(times[i], values[i]));
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void The_state_of_a_tag_is_at_most_4_KB(string name)
    {
        var detector = ScalarDetectors.Create(name);
        var (times, values) = Series.Make(20_000, 1, (_, t, noise) => 5 + Series.Daily(t, 3) + noise);
        Series.Run(detector, times, values);
        Assert.InRange(Write(detector).Length, 1, 4096);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_bad_state_is_refused_and_changes_nothing(string name)
    {
        var (times, values) = Series.Make(600, 2, (_, _, noise) => 3 + noise);
        var detector = ScalarDetectors.Create(name);
        Series.Run(detector, times[..400], values[..400]);
        var before = Write(detector);

        var truncated = before[..(before.Length / 2)];
        Assert.Throws<InvalidDataException>(() => Read(detector, truncated));
        var garbage = (byte[])before.Clone();
        garbage[0] ^= 0xFF;
        Assert.Throws<InvalidDataException>(() => Read(detector, garbage));
        var otherSettings = ScalarDetectors.Create(name, new ScalarDetectorOptions { SlowWindow = 700 });
        Assert.Throws<InvalidDataException>(() => Read(otherSettings, before));
        var otherKind = ScalarDetectors.Create(name == "gaussian" ? "default" : "gaussian");
        Assert.Throws<InvalidDataException>(() => Read(otherKind, before));
        Assert.Equal(before, Write(detector));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_state_of_an_older_format_is_refused_so_the_tag_relearns(string name)
    {
        // Byte 4 is the format version (after the 4-byte magic); 5 added the ensemble's run of a seasonal residual
        // biased to one side, so a version 4 state cannot be read as 5 and is refused by its version.
        var (times, values) = Series.Make(400, 2, (_, _, noise) => 3 + noise);
        var detector = ScalarDetectors.Create(name);
        Series.Run(detector, times, values);
        var state = Write(detector);
        Assert.Equal(5, state[4]);
        state[4] = 4;
        var ex = Assert.Throws<InvalidDataException>(() => Read(ScalarDetectors.Create(name), state));
        Assert.Contains("version 4", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Bad_input_is_skipped_or_clamped_by_rule_and_counted(string name)
    {
        var detector = ScalarDetectors.Create(name);
        var (times, values) = Series.Make(400, 3, (_, _, noise) => 7 + noise);
        Series.Run(detector, times, values);
        var last = times[^1];
        Assert.Equal(0, detector.Update(last.AddMinutes(5), double.NaN).Score);
        Assert.Equal(0, detector.Update(last.AddMinutes(5), double.PositiveInfinity).Score);
        Assert.Equal(0, detector.Update(last.AddMinutes(5), double.NegativeInfinity).Score);
        Assert.Equal(0, detector.Update(last.AddMinutes(-5), 7).Score);
        Assert.Equal(0, detector.Update(last, 7).Score);
        var huge = detector.Update(last.AddMinutes(5), 1e300);
        var hugeNegative = detector.Update(last.AddMinutes(10), -double.MaxValue);
        Assert.InRange(huge.Score, 0, 1);
        Assert.InRange(hugeNegative.Score, 0, 1);
        Assert.Equal(new ScalarSampleCounts(402, 3, 1, 1, 2), detector.Counts);
        // The model is still usable: every later score is a number in [0, 1].
        for (var i = 0; i < 500; i++) Assert.InRange(detector.Update(last.AddMinutes(15 + (5 * i)), 7 + Math.Sin(i)).Score, 0, 1);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Irregular_times_gaps_and_extreme_timestamps_never_throw(string name)
    {
        var detector = ScalarDetectors.Create(name);
        var rng = new Random(4);
        var t = DateTime.MinValue;
        for (var i = 0; i < 3000; i++)
        {
            t = t.AddTicks(1 + (long)(rng.NextDouble() * (i % 100 == 0 ? TimeSpan.TicksPerDay * 30 : TimeSpan.TicksPerMinute)));
            Assert.InRange(detector.Update(t, rng.NextDouble() * (i % 500 == 0 ? 1e12 : 1)).Score, 0, 1);
        }
        Assert.InRange(detector.Update(DateTime.MaxValue, 1).Score, 0, 1);
        Assert.Equal(0, detector.Update(DateTime.MaxValue, 2).Score);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_constant_series_is_normal(string name)
    {
        var detector = ScalarDetectors.Create(name);
        var (times, _) = Series.Make(3000, 1, (_, _, _) => 0);
        Assert.All(times, t => Assert.NotEqual(AnomalyState.Anomalous, detector.Update(t, 42.5).State));
    }

    [Theory]
    [InlineData("default")]
    [InlineData("level")]
    [InlineData("shift")]
    [InlineData("gaussian")]
    public void The_first_move_of_a_constant_series_is_anomalous(string name)
    {
        var detector = ScalarDetectors.Create(name);
        var (times, _) = Series.Make(2001, 1, (_, _, _) => 0);
        for (var i = 0; i < 2000; i++) detector.Update(times[i], 42.5);
        Assert.Equal(AnomalyState.Anomalous, detector.Update(times[2000], 43.5).State);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Scoring_allocates_nothing(string name)
    {
        var detector = ScalarDetectors.Create(name);
        var (times, values) = Series.Make(20_000, 6, (i, t, noise) => 10 + Series.Daily(t, 2) + noise + (i % 5000 == 4000 ? 20 : 0));
        for (var i = 0; i < 1000; i++) detector.Update(times[i], values[i]);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 1000; i < values.Length; i++) detector.Update(times[i], values[i]);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void The_factory_knows_its_names_and_refuses_others()
    {
        Assert.IsType<EnsembleDetector>(ScalarDetectors.Create("DEFAULT"));
        Assert.IsType<WindowedGaussianDetector>(ScalarDetectors.Create("gaussian"));
        Assert.Equal(ScalarComponents.Stuck, ScalarDetectors.Create("stuck").Options.Components);
        var error = Assert.Throws<ArgumentException>(() => ScalarDetectors.Create("htm"));
        Assert.Contains("default", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new EnsembleDetector(new ScalarDetectorOptions { SlowWindow = 10, FastWindow = 32 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WindowedGaussianDetector(new ScalarDetectorOptions { GaussianWindow = 481 }));
    }

    // A series that exercises every rule: a daily cycle, a shift, a spike, a stuck run, gaps, NaN, duplicates and
    // samples out of order.
    private static (DateTime[] Times, double[] Values) Hostile(int n, int seed)
    {
        var (times, values) = Series.Make(n, seed, (i, t, noise) => 30 + Series.Daily(t, 4) + noise + (i > n / 2 ? 5 : 0) + (i == (2 * n) / 3 ? 40 : 0));
        var rng = new Random(seed + 100);
        for (var i = 1; i < n; i++)
        {
            var roll = rng.NextDouble();
            if (roll < 0.01) values[i] = double.NaN;
            else if (roll < 0.02) times[i] = times[i - 1];
            else if (roll < 0.03) times[i] = times[i - 1].AddHours(-1);
            else if (roll < 0.035) times[i] = times[i - 1].AddDays(2);
            else times[i] = times[i - 1] + Series.Step;
        }
        for (var i = (3 * n) / 4; i < Math.Min(n, (3 * n / 4) + 40); i++) values[i] = values[(3 * n) / 4];
        return (times, values);
    }

    private static byte[] Write(IScalarDetector detector)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream)) detector.WriteState(writer);
        return stream.ToArray();
    }

    private static void Read(IScalarDetector detector, byte[] state)
    {
        using var reader = new BinaryReader(new MemoryStream(state));
        detector.ReadState(reader);
    }
}
