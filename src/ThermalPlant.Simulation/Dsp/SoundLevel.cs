namespace ThermalPlant.Simulation.Dsp;

/// <summary>Sound level of a chunk relative to digital full scale.</summary>
public static class SoundLevel
{
    /// <summary>The quietest level reported, for silence (dBFS).</summary>
    public const double FloorDbfs = -120;

    /// <summary>RMS level in dBFS (a full-scale sine reads -3 dBFS), floored at <see cref="FloorDbfs"/>.</summary>
    public static double RmsDbfs(ReadOnlySpan<float> samples)
    {
        if (samples.IsEmpty) return FloorDbfs;
        double sum = 0;
        foreach (var s in samples)
        {
            sum += (double)s * s;
        }
        var rms = Math.Sqrt(sum / samples.Length);
        return Math.Max(FloorDbfs, 20 * Math.Log10(Math.Max(rms, 1e-12)));
    }
}
