namespace ThermalPlant.Analytics.Diagnosis;

/// <summary>
/// Where a frequency falls in the served mel spectrum: the triangular filters of the HTK mel scale with band edges
/// evenly spaced in mel, as the sensors service builds them, so a band index for a frequency is computed from the
/// same parameters the spectrum was made with.
/// </summary>
public sealed class MelBandLayout
{
    private readonly double[] _points;

    /// <summary>Band edges for <paramref name="options"/>.</summary>
    public MelBandLayout(SpectrumLayoutOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Bands = options.Bands;
        _points = new double[Bands + 2];
        var minMel = HzToMel(options.MinFrequency);
        var maxMel = HzToMel(options.Max);
        for (var i = 0; i < _points.Length; i++)
        {
            _points[i] = MelToHz(minMel + ((maxMel - minMel) * i / (Bands + 1)));
        }
    }

    /// <summary>Number of bands.</summary>
    public int Bands { get; }

    /// <summary>Centre (peak) frequency of band <paramref name="band"/>, Hz.</summary>
    public double CentreHz(int band) => _points[band + 1];

    /// <summary>The band whose filter weighs <paramref name="hz"/> most, or -1 when no band covers it.</summary>
    public int BandOf(double hz)
    {
        if (!(hz > _points[0] && hz < _points[^1])) return -1;
        // Between the centres of bands k-1 and k, the two filters cross half way in Hz.
        var index = Array.BinarySearch(_points, hz);
        var upper = index >= 0 ? index : ~index;
        // _points[upper - 1] <= hz < _points[upper]: bands upper-2 (falling) and upper-1 (rising) cover it.
        var rising = upper - 1;
        var falling = upper - 2;
        if (falling < 0) return rising;
        if (rising >= Bands) return falling;
        var mid = (_points[upper - 1] + _points[upper]) / 2;
        return hz < mid ? falling : rising;
    }

    /// <summary>The HTK mel scale.</summary>
    public static double HzToMel(double hz) => 2595.0 * Math.Log10(1.0 + (hz / 700.0));

    /// <summary>The inverse of <see cref="HzToMel"/>.</summary>
    public static double MelToHz(double mel) => 700.0 * (Math.Pow(10.0, mel / 2595.0) - 1.0);
}
