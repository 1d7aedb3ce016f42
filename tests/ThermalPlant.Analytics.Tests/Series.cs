namespace ThermalPlant.Analytics.Tests;

/// <summary>Constructed test series: 5-minute samples of a seeded Gaussian noise around a level, shaped by the test.</summary>
internal static class Series
{
    public static readonly DateTime Start = new(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    public static readonly TimeSpan Step = TimeSpan.FromMinutes(5);

    /// <summary>n samples; <paramref name="shape"/> gets the index, the time and a unit Gaussian draw and returns the value.</summary>
    public static (DateTime[] Times, double[] Values) Make(int n, int seed, Func<int, DateTime, double, double> shape)
    {
        var rng = new Random(seed);
        var times = new DateTime[n];
        var values = new double[n];
        for (var i = 0; i < n; i++)
        {
            times[i] = Start + (i * Step);
            values[i] = shape(i, times[i], Gaussian(rng));
        }
        return (times, values);
    }

    /// <summary>A daily sine of the given amplitude, peaking at 14:00.</summary>
    public static double Daily(DateTime t, double amplitude) => amplitude * Math.Sin(2 * Math.PI * ((t.Hour + (t.Minute / 60.0) - 8) / 24));

    public static bool Weekend(DateTime t) => t.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;

    public static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    public static AnomalyScore[] Run(IScalarDetector detector, DateTime[] times, double[] values)
    {
        var scores = new AnomalyScore[values.Length];
        for (var i = 0; i < values.Length; i++) scores[i] = detector.Update(times[i], values[i]);
        return scores;
    }

    /// <summary>The first index at or after <paramref name="from"/> whose state is anomalous, or -1.</summary>
    public static int FirstAlarm(AnomalyScore[] scores, int from = 0)
    {
        for (var i = from; i < scores.Length; i++)
        {
            if (scores[i].State == AnomalyState.Anomalous) return i;
        }
        return -1;
    }
}
