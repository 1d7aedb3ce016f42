namespace ThermalPlant.Analytics.Diagnosis;

/// <summary>
/// Mean and variance by Welford's method, with the count capped so that, once full, new samples weigh 1 / cap and
/// the statistics follow slow change instead of freezing.
/// </summary>
internal struct RunningStats
{
    public double Count;
    public double Mean;
    private double _m2;

    public readonly double Variance => Count > 1 ? _m2 / (Count - 1) : 0;

    public readonly double StdDev => Math.Sqrt(Variance);

    public void Add(double value, double cap)
    {
        if (Count < cap) Count++;
        var delta = value - Mean;
        Mean += delta / Count;
        _m2 += delta * (value - Mean);
        if (Count >= cap)
        {
            // Keep M2 consistent with the capped count: scale it as an exponentially weighted sum.
            _m2 *= (cap - 1) / cap;
        }
    }

    public readonly void Write(BinaryWriter writer)
    {
        writer.Write(Count);
        writer.Write(Mean);
        writer.Write(_m2);
    }

    public static RunningStats Read(BinaryReader reader)
    {
        var stats = new RunningStats { Count = reader.ReadDouble(), Mean = reader.ReadDouble(), _m2 = reader.ReadDouble() };
        if (!(stats.Count >= 0) || !double.IsFinite(stats.Mean) || !(stats._m2 >= 0)) throw new InvalidDataException("Corrupt running statistics in the diagnosis state.");
        return stats;
    }
}
