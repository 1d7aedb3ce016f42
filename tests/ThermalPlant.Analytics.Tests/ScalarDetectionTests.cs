using ThermalPlant.Analytics.Scalar;

namespace ThermalPlant.Analytics.Tests;

/// <summary>
/// Each kind of change on a constructed series, detected by the default detector within a stated delay (in samples
/// after the onset), with no alarm before the onset; and the matching normal series (the same noise, no change)
/// raises no alarm at all.
/// </summary>
public sealed class ScalarDetectionTests
{
    private const int Length = 3000;
    private const int Onset = 2000;

    public static TheoryData<string, int> Changes => new()
    {
        { "spike", 0 },
        { "level-shift", 20 },
        { "variance-up", 20 },
        { "variance-down", 80 },
        { "drift", 250 },
        { "stuck", 10 },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void A_change_is_detected_within_its_delay_and_not_before(string change, int maxDelay)
    {
        for (var seed = 1; seed <= 5; seed++)
        {
            var (times, values) = Series.Make(Length, seed, (i, _, noise) => Shape(change, i, noise));
            ApplyStuck(change, values);
            var scores = Series.Run(new EnsembleDetector(), times, values);
            Assert.Equal(-1, Series.FirstAlarm(scores[..Onset]));
            var alarm = Series.FirstAlarm(scores, Onset);
            Assert.True(alarm >= 0 && alarm - Onset <= maxDelay, $"{change}, seed {seed}: first alarm {alarm - Onset} samples after the onset, allowed {maxDelay}");
        }
    }

    [Fact]
    public void The_matching_normal_series_raise_no_alarm()
    {
        // The series above without their change: the same seeds, the same noise.
        for (var seed = 1; seed <= 5; seed++)
        {
            var (times, values) = Series.Make(Length, seed, (i, _, noise) => Shape("none", i, noise));
            var scores = Series.Run(new EnsembleDetector(), times, values);
            Assert.True(Series.FirstAlarm(scores) == -1, $"normal series of seed {seed} alarmed at {Series.FirstAlarm(scores)}");
        }
    }

    [Fact]
    public void A_changed_daily_pattern_is_detected_within_a_quarter_day_and_a_normal_one_is_not()
    {
        // 20 days of a daily cycle (amplitude 5 noise sigmas); from the start of day 15 the cycle is flat for a day.
        const int day = 288;
        var onset = 15 * day;
        for (var seed = 1; seed <= 3; seed++)
        {
            var (times, normal) = Series.Make(20 * day, seed, (_, t, noise) => 100 + Series.Daily(t, 5) + noise);
            var (_, changed) = Series.Make(20 * day, seed, (i, t, noise) => 100 + (i >= onset && i < onset + day ? 0 : Series.Daily(t, 5)) + noise);
            var normalScores = Series.Run(new EnsembleDetector(), times, normal);
            Assert.Equal(-1, Series.FirstAlarm(normalScores));
            var scores = Series.Run(new EnsembleDetector(), times, changed);
            Assert.Equal(-1, Series.FirstAlarm(scores[..onset]));
            var alarm = Series.FirstAlarm(scores, onset);
            Assert.True(alarm >= 0 && alarm - onset <= day / 4, $"seed {seed}: first alarm {alarm - onset} samples after the onset");
        }
    }

    [Fact]
    public void A_weekend_that_looks_like_a_weekday_is_detected_within_a_day_and_normal_weeks_are_not()
    {
        // Five weeks of weekdays with a daily cycle and quiet, lower weekends; in week five the weekend has the weekday cycle.
        const int day = 288;
        var (times, normal) = Series.Make(35 * day, 7, (_, t, noise) => Weekly(t, noise, weekendLikeWeekday: false));
        var lastSaturday = Array.FindLastIndex(times, t => t.DayOfWeek == DayOfWeek.Saturday && t.Hour == 0 && t.Minute == 0);
        var (_, changed) = Series.Make(35 * day, 7, (i, t, noise) => Weekly(t, noise, weekendLikeWeekday: i >= lastSaturday));
        Assert.Equal(-1, Series.FirstAlarm(Series.Run(new EnsembleDetector(), times, normal), 3 * 7 * day));
        var scores = Series.Run(new EnsembleDetector(), times, changed);
        Assert.Equal(-1, Series.FirstAlarm(scores[..lastSaturday], 3 * 7 * day));
        var alarm = Series.FirstAlarm(scores, lastSaturday);
        Assert.True(alarm >= 0 && alarm - lastSaturday <= day, $"first alarm {alarm - lastSaturday} samples after the weekend began");
    }

    [Fact]
    public void A_weekend_change_in_the_fourth_week_is_detected_within_a_day_after_the_first_weekends_misfit_the_daily_profile()
    {
        // Weekdays with a daily cycle of 4 noise sigmas, weekends 4 sigmas lower with a third of it: the first weekends
        // misfit the daily profile (learned after 3 days) by whole amplitudes and alarm. Once the weekly profile takes
        // over (2 weeks), a weekend that looks like a weekday is detected within a day; from the third week the
        // normal series raises no alarm.
        const int day = 288;
        var (times, _) = Series.Make(35 * day, 1, (_, _, noise) => noise);
        var fourthSaturday = Array.FindIndex(times, t => t.DayOfWeek == DayOfWeek.Saturday && t.Hour == 0 && t.Minute == 0 && t >= Series.Start.AddDays(21));
        for (var seed = 1; seed <= 3; seed++)
        {
            var (_, normal) = Series.Make(35 * day, seed, (_, t, noise) => CorpusWeekly(t, noise, weekendLikeWeekday: false));
            var (_, changed) = Series.Make(35 * day, seed, (i, t, noise) => CorpusWeekly(t, noise, weekendLikeWeekday: i >= fourthSaturday && i < fourthSaturday + (2 * day)));
            Assert.Equal(-1, Series.FirstAlarm(Series.Run(new EnsembleDetector(), times, normal), 3 * 7 * day));
            var scores = Series.Run(new EnsembleDetector(), times, changed);
            Assert.Equal(-1, Series.FirstAlarm(scores[..fourthSaturday], 3 * 7 * day));
            var alarm = Series.FirstAlarm(scores, fourthSaturday);
            Assert.True(alarm >= 0 && alarm - fourthSaturday <= day, $"seed {seed}: first alarm {alarm - fourthSaturday} samples after the weekend began");
        }
    }

    [Fact]
    public void A_new_series_learns_first_then_scores()
    {
        var options = new ScalarDetectorOptions();
        var (times, values) = Series.Make(1000, 3, (_, _, noise) => 20 + noise);
        var scores = Series.Run(new EnsembleDetector(options), times, values);
        Assert.All(scores[..options.LearningSamples], s => Assert.Equal(new AnomalyScore(0, AnomalyState.Learning), s));
        Assert.All(scores[options.LearningSamples..], s => Assert.NotEqual(AnomalyState.Learning, s.State));
        // A spike during learning is learned from, not scored.
        var spiked = (double[])values.Clone();
        spiked[50] += 100;
        Assert.Equal(0, Series.Run(new EnsembleDetector(options), times, spiked)[50].Score);
    }

    [Fact]
    public void One_anomaly_gives_one_alarm_its_repeats_are_damped()
    {
        // A lasting shift of 6 sigmas: one alarm at the onset, none for the rest of the series once the damping ends.
        var (times, values) = Series.Make(Length, 11, (i, _, noise) => 10 + noise + (i >= Onset ? 6 : 0));
        var scores = Series.Run(new EnsembleDetector(), times, values);
        Assert.Equal(Onset, Series.FirstAlarm(scores));
        Assert.Equal(-1, Series.FirstAlarm(scores, Onset + 1));
    }

    [Theory]
    [InlineData("variance-up")]
    [InlineData("variance-down")]
    [InlineData("stuck")]
    public void The_end_of_a_spell_of_changed_variance_is_not_a_new_alarm(string change)
    {
        // 300 samples of changed noise (or a stuck value) from the onset, then the noise as before: one alarm, at the
        // change; going back to the old normal after the damping re-based on the change is not another anomaly.
        const int spell = 300;
        for (var seed = 1; seed <= 5; seed++)
        {
            var (times, values) = Series.Make(Length, seed, (i, _, noise) => Shape(i < Onset + spell ? change : "none", i, noise));
            if (change == "stuck")
            {
                for (var i = Onset; i < Onset + spell; i++) values[i] = values[Onset - 1];
            }
            var scores = Series.Run(new EnsembleDetector(), times, values);
            var alarm = Series.FirstAlarm(scores, Onset);
            Assert.True(alarm >= Onset && alarm < Onset + 100, $"{change}, seed {seed}: first alarm at {alarm}");
            var again = Series.FirstAlarm(scores, Onset + spell);
            Assert.True(again == -1, $"{change}, seed {seed}: alarmed again {again - Onset - spell} samples after the spell ended");
        }
    }

    [Fact]
    public void A_drop_to_zero_on_a_count_series_is_a_spike_and_ordinary_counts_are_not()
    {
        // Poisson counts around 20: a 0 has probability e^-20, though it is only 4.5 standard deviations down.
        for (var seed = 1; seed <= 5; seed++)
        {
            var rng = new Random(seed);
            var (times, values) = Series.Make(Length, seed, (_, _, _) => Poisson(rng, 20));
            Assert.Equal(-1, Series.FirstAlarm(Series.Run(new EnsembleDetector(), times, values)));
            values[Onset] = 0;
            var scores = Series.Run(new EnsembleDetector(), times, values);
            Assert.Equal(-1, Series.FirstAlarm(scores[..Onset]));
            Assert.Equal(AnomalyState.Anomalous, scores[Onset].State);
        }
    }

    private static int Poisson(Random rng, double lambda)
    {
        var limit = Math.Exp(-lambda);
        var k = 0;
        for (var p = rng.NextDouble(); p > limit; p *= rng.NextDouble()) k++;
        return k;
    }

    private static double CorpusWeekly(DateTime t, double noise, bool weekendLikeWeekday) =>
        Series.Weekend(t) && !weekendLikeWeekday ? 46 + Series.Daily(t, 1.2) + noise : 50 + Series.Daily(t, 4) + noise;

    private static double Weekly(DateTime t, double noise, bool weekendLikeWeekday) =>
        Series.Weekend(t) && !weekendLikeWeekday ? 40 + noise : 50 + Series.Daily(t, 8) + noise;

    private static double Shape(string change, int i, double noise)
    {
        var after = i >= Onset;
        return change switch
        {
            "spike" => 50 + noise + (i == Onset ? 8 : 0),
            "level-shift" => 50 + noise + (after ? 3 : 0),
            "variance-up" => 50 + (noise * (after ? 4 : 1)),
            "variance-down" => 50 + (noise * (after ? 0.1 : 1)),
            "drift" => 50 + noise + (after ? 6 * Math.Min(1, (i - Onset) / 400.0) : 0),
            _ => 50 + noise,
        };
    }

    private static void ApplyStuck(string change, double[] values)
    {
        if (change != "stuck") return;
        for (var i = Onset; i < values.Length; i++) values[i] = values[Onset - 1];
    }
}
