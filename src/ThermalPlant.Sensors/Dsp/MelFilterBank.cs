namespace ThermalPlant.Sensors.Dsp;

/// <summary>
/// Triangular mel filters over the bins of a power spectrum, defined as torchaudio's <c>melscale_fbanks</c>
/// (HTK scale, no normalisation, bin frequencies <c>linspace(0, sample_rate // 2, n_freqs)</c>). Each filter
/// keeps only its non-zero span, so applying the bank costs about two multiplications per bin.
/// </summary>
internal sealed class MelFilterBank
{
    private readonly int[] _start;
    private readonly int[] _offset;
    private readonly int[] _length;
    private readonly double[] _weights;

    public MelFilterBank(int frequencyBins, double minHz, double maxHz, int bands, int sampleRate)
    {
        Bands = bands;
        var nyquist = (double)(sampleRate / 2);
        var points = new double[bands + 2];
        var minMel = MelScale.FromHz(minHz);
        var maxMel = MelScale.FromHz(maxHz);
        for (var i = 0; i < points.Length; i++)
        {
            points[i] = MelScale.ToHz(minMel + ((maxMel - minMel) * i / (bands + 1)));
        }
        _start = new int[bands];
        _offset = new int[bands];
        _length = new int[bands];
        var weights = new List<double>();
        for (var m = 0; m < bands; m++)
        {
            var first = -1;
            var last = -1;
            var row = new double[frequencyBins];
            for (var k = 0; k < frequencyBins; k++)
            {
                var hz = nyquist * k / (frequencyBins - 1);
                var down = (hz - points[m]) / (points[m + 1] - points[m]);
                var up = (points[m + 2] - hz) / (points[m + 2] - points[m + 1]);
                var w = Math.Max(0.0, Math.Min(down, up));
                row[k] = w;
                if (w > 0)
                {
                    if (first < 0) first = k;
                    last = k;
                }
            }
            _offset[m] = weights.Count;
            if (first >= 0)
            {
                _start[m] = first;
                _length[m] = last - first + 1;
                weights.AddRange(row.AsSpan(first, last - first + 1).ToArray());
            }
        }
        _weights = [.. weights];
    }

    public int Bands { get; }

    /// <summary>Mel band energies of one power spectrum frame.</summary>
    public void Apply(ReadOnlySpan<double> power, Span<double> bands)
    {
        for (var m = 0; m < Bands; m++)
        {
            var w = _weights.AsSpan(_offset[m], _length[m]);
            var p = power.Slice(_start[m], _length[m]);
            double sum = 0;
            for (var i = 0; i < w.Length; i++)
            {
                sum += w[i] * p[i];
            }
            bands[m] = sum;
        }
    }
}
