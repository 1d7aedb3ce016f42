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
}
