using ThermalPlant.Analytics.Scalar;

namespace ThermalPlant.Analytics.Tests;

/// <summary>
/// The mechanisms added for slow drifts, heavy-tailed normal running and weekly patterns, each on a constructed series:
/// detection within a stated delay, and no alarm on the matching normal series (the same seeds and noise, no change).
/// </summary>
public sealed class ScalarMechanismTests
{
    private const int Length = 3000;
    private const int Onset = 2000;

    [Fact]
    public void The_drift_part_alone_finds_a_slow_drift_within_150_samples_and_nothing_on_the_normal_series()
    {
        // 0.01 sigma per sample: after 150 samples the level has moved 1.5 sigmas, no sample stands out on its own.
        for (var seed = 1; seed <= 5; seed++)
        {
            var (times, drifting) = Series.Make(Length, seed, (i, _, noise) => 20 + noise + (i >= Onset ? 0.01 * (i - Onset) : 0));
            var (_, normal) = Series.Make(Length, seed, (_, _, noise) => 20 + noise);
            Assert.Equal(-1, Series.FirstAlarm(Series.Run(ScalarDetectors.Create("drift"), times, normal)));
            var scores = Series.Run(ScalarDetectors.Create("drift"), times, drifting);
            Assert.Equal(-1, Series.FirstAlarm(scores[..Onset]));
            var alarm = Series.FirstAlarm(scores, Onset);
            Assert.True(alarm >= 0 && alarm - Onset <= 150, $"seed {seed}: first alarm {alarm - Onset} samples after the onset");
        }
    }

    [Fact]
    public void Heavy_tailed_normal_running_alarms_at_most_once_per_1000_samples_and_a_real_spike_still_alarms()
    {
        // One sample in 50 has four times the noise (excursions of 12 sigmas and more); a spike of 40 sigmas is an
        // anomaly. Scored as Gaussian, such a series alarms on most of its large excursions; with its tail learned
        // from them (the sample that alarms counts too), few are left once 1,000 samples have been seen.
        var normalAlarms = 0;
        for (var seed = 1; seed <= 10; seed++)
        {
            var rng = new Random(seed + 100);
            var heavy = new bool[Length];
            for (var i = 0; i < Length; i++) heavy[i] = rng.NextDouble() < 0.02;
            var (times, normal) = Series.Make(Length, seed, (i, _, noise) => 300 + (noise * (heavy[i] ? 4 : 1)));
            var normalScores = Series.Run(new EnsembleDetector(), times, normal);
            normalAlarms += normalScores[1000..].Count(s => s.State == AnomalyState.Anomalous);
            var spiked = (double[])normal.Clone();
            spiked[Onset] = 340;
            Assert.Equal(AnomalyState.Anomalous, Series.Run(new EnsembleDetector(), times, spiked)[Onset].State);
        }
        Assert.True(normalAlarms <= 10 * (Length - 1000) / 1000, $"{normalAlarms} alarms in {10 * (Length - 1000)} heavy-tailed normal samples");
    }

    [Fact]
    public void Nightly_runs_of_zeros_on_a_count_series_are_not_a_stuck_sensor_and_a_count_stuck_above_zero_still_alarms()
    {
        // Poisson counts whose daily rate falls to almost nothing at night: every night is a run of zeros of hours,
        // the natural floor of counts. None of them alarms once the daily cycle has been seen (two days; the first day's
        // learning saw only a night and a morning); a count held at a daytime value for 100 samples does.
        const int day = 288;
        for (var seed = 1; seed <= 5; seed++)
        {
            var rng = new Random(seed);
            var (times, normal) = Series.Make(12 * day, seed, (_, t, _) => Poisson(rng, Math.Max(0.01, 4 + Series.Daily(t, 8))));
            var normalAlarm = Series.FirstAlarm(Series.Run(new EnsembleDetector(), times, normal), 2 * day);
            Assert.True(normalAlarm == -1, $"seed {seed}: the normal counts alarmed at sample {normalAlarm}");
            var onset = Array.FindIndex(times, t => t >= Series.Start.AddDays(10) && t.Hour == 14);
            var stuck = (double[])normal.Clone();
            if (stuck[onset] == 0) stuck[onset] = 1;
            for (var i = onset + 1; i < onset + 100; i++) stuck[i] = stuck[onset];
            var scores = Series.Run(new EnsembleDetector(), times, stuck);
            var alarm = Series.FirstAlarm(scores, onset);
            Assert.True(alarm >= 0 && alarm - onset <= 20, $"seed {seed}: first alarm {alarm - onset} samples after the count stuck");
        }
    }

    [Fact]
    public void An_anomalous_weekend_is_not_learned_as_the_weekly_pattern_and_the_weeks_after_it_alarm_at_most_once()
    {
        // Seven weeks of weekdays with a daily cycle and lower, flatter weekends; the fourth weekend looks like
        // weekdays. It is detected; it is not folded into the hours of the week as if it were the pattern (a visit
        // moves an hour's mean by at most two residual deviations), so the three normal weeks after it raise at most
        // one alarm (the hour means still carry a quarter of those two deviations the next weekend). Folded in full,
        // they misfit the next weekends by a quarter of the change, and alarmed three or four times.
        const int day = 288;
        var (times, _) = Series.Make(49 * day, 1, (_, _, noise) => noise);
        var fourthSaturday = Array.FindIndex(times, t => t.DayOfWeek == DayOfWeek.Saturday && t.Hour == 0 && t.Minute == 0 && t >= Series.Start.AddDays(21));
        for (var seed = 1; seed <= 3; seed++)
        {
            var (_, changed) = Series.Make(49 * day, seed, (i, t, noise) => Weekly(t, noise, weekendLikeWeekday: i >= fourthSaturday && i < fourthSaturday + (2 * day)));
            var scores = Series.Run(new EnsembleDetector(), times, changed);
            var alarm = Series.FirstAlarm(scores, fourthSaturday);
            Assert.True(alarm >= 0 && alarm - fourthSaturday <= day, $"seed {seed}: first alarm {alarm - fourthSaturday} samples after the weekend began");
            var after = scores[(fourthSaturday + (3 * day))..].Count(s => s.State == AnomalyState.Anomalous);
            Assert.True(after <= 1, $"seed {seed}: {after} alarms in the three weeks after the anomalous weekend");
        }
    }

    [Fact]
    public void A_level_shift_under_a_weekly_pattern_alarms_once_and_not_again_at_the_same_hours_a_week_later()
    {
        // The weekly series above with a lasting shift of 3 noise sigmas on the Tuesday of week 3. Its alarm's damping is
        // an anomaly, not the pattern: were its samples folded into the hours of the week (weight 1/2 or 1/3) while the
        // re-baseline after it moves the offset by the whole shift, those hours would count the shift twice and alarm
        // a week and two weeks later. No alarm within a day of those hours; at most one anywhere after the first day
        // (seed 4's noise has a draw of 4.9 sigmas on day 25, which the profile interpolated between hours scores 0.51).
        const int day = 288;
        var (times, _) = Series.Make(35 * day, 1, (_, _, noise) => noise);
        var onset = Array.FindIndex(times, t => t >= Series.Start.AddDays(15.4));
        for (var seed = 1; seed <= 6; seed++)
        {
            var (_, values) = Series.Make(35 * day, seed, (i, t, noise) => Weekly(t, noise, weekendLikeWeekday: false) + (i >= onset ? 3 : 0));
            var scores = Series.Run(new EnsembleDetector(), times, values);
            var alarm = Series.FirstAlarm(scores, onset);
            Assert.True(alarm >= 0 && alarm - onset <= 30, $"seed {seed}: first alarm {alarm - onset} samples after the shift");
            foreach (var weeks in new[] { 1, 2 })
            {
                var from = onset + (7 * weeks * day) - day;
                var again = Series.FirstAlarm(scores[..(from + (2 * day))], from);
                Assert.True(again == -1, $"seed {seed}: alarmed again {(again - onset) / (double)day:F2} days after the shift");
            }
            var later = scores[(onset + day)..].Count(s => s.State == AnomalyState.Anomalous);
            Assert.True(later <= 1, $"seed {seed}: {later} alarms from a day after the shift on");
        }
    }

    [Theory]
    [InlineData("a drift of 6 sigmas over 400 samples on day 5", 5.0, 400, 6.0)]
    [InlineData("a rise of 3 sigmas over 3 days from day 4", 4.0, 3 * 288, 3.0)]
    public void After_a_slow_change_of_level_under_a_daily_pattern_the_profile_follows_and_a_drop_is_found_at_once(string change, double fromDay, int samples, double by)
    {
        // A daily cycle (amplitude 5 noise sigmas) whose level moves slowly and stays moved; on day 11 one sample drops
        // by 6 sigmas. The profiles' offsets used to move only at a re-baseline after an alarm: a drift that went on
        // after its alarm, or a rise too slow to alarm, left the residual against the profile biased by sigmas for
        // days, its spread learned the bias as noise, and the drop (back near the profile) was missed on most seeds.
        // A residual biased to one side for as long as an alarm's damping now moves the offsets. The matching series
        // without the drop raises no alarm from day 8 on.
        const int day = 288;
        var from = (int)(fromDay * day);
        var drop = (11 * day) + 100;
        for (var seed = 1; seed <= 5; seed++)
        {
            var (times, normal) = Series.Make(14 * day, seed, (i, t, noise) => 100 + Series.Daily(t, 5) + noise + (by * Math.Clamp((i - from) / (double)samples, 0, 1)));
            var normalAlarm = Series.FirstAlarm(Series.Run(new EnsembleDetector(), times, normal), 8 * day);
            Assert.True(normalAlarm == -1, $"{change}, seed {seed}: the series without the drop alarmed on day {normalAlarm / (double)day:F2}");
            var dropped = (double[])normal.Clone();
            dropped[drop] -= 6;
            var alarm = Series.FirstAlarm(Series.Run(new EnsembleDetector(), times, dropped), drop);
            Assert.True(alarm >= 0 && alarm - drop <= 2, $"{change}, seed {seed}: first alarm {alarm - drop} samples after the drop");
        }
    }

    [Fact]
    public void A_steep_daily_pattern_is_followed_between_the_hours_so_a_drop_at_the_end_of_an_hour_is_found_and_office_hours_stay_steps()
    {
        // A daily sine of amplitude 12 noise sigmas rises 3 sigmas an hour at 08:00. Held as a step per hour, its
        // profile misfit the end of each steep hour by 1.3 sigmas, and a drop of 6 sigmas at 08:55 read as under 5:
        // missed on 3 of these 5 seeds. Interpolated between the hours' centres it is found at once. A pattern that
        // really steps (office hours, 10 sigmas from 08:00 to 18:00) is kept a step: no alarm on its normal days.
        const int day = 288;
        var drop = (10 * day) + (8 * 12) + 11;
        for (var seed = 1; seed <= 5; seed++)
        {
            var (times, normal) = Series.Make(14 * day, seed, (_, t, noise) => 100 + Series.Daily(t, 12) + noise);
            var normalAlarm = Series.FirstAlarm(Series.Run(new EnsembleDetector(), times, normal), 4 * day);
            Assert.True(normalAlarm == -1, $"seed {seed}: the normal sine alarmed on day {normalAlarm / (double)day:F2}");
            var dropped = (double[])normal.Clone();
            dropped[drop] -= 6;
            var score = Series.Run(new EnsembleDetector(), times, dropped)[drop];
            Assert.True(score.State == AnomalyState.Anomalous, $"seed {seed}: the drop at 08:55 scored {score.Score:F2}");

            var (_, office) = Series.Make(14 * day, seed, (_, t, noise) => 100 + (t.Hour is >= 8 and < 18 ? 10 : 0) + noise);
            var officeAlarm = Series.FirstAlarm(Series.Run(new EnsembleDetector(), times, office), 4 * day);
            Assert.True(officeAlarm == -1, $"seed {seed}: the normal office hours alarmed on day {officeAlarm / (double)day:F2}");
        }
    }

    private static double Weekly(DateTime t, double noise, bool weekendLikeWeekday) =>
        Series.Weekend(t) && !weekendLikeWeekday ? 46 + Series.Daily(t, 1.2) + noise : 50 + Series.Daily(t, 4) + noise;

    private static int Poisson(Random rng, double lambda)
    {
        var limit = Math.Exp(-lambda);
        var k = 0;
        for (var p = rng.NextDouble(); p > limit; p *= rng.NextDouble()) k++;
        return k;
    }
}
