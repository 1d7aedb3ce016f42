using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ThermalPlant.Simulation.Dsp;

/// <summary>
/// Triangular mel filters over the bins of a power spectrum, defined as torchaudio's <c>melscale_fbanks</c>
/// (HTK scale, no normalisation, bin frequencies <c>linspace(0, sample_rate // 2, n_freqs)</c>). Each filter
/// keeps only its non-zero span, widened with zero weights to whole cache lines of the spectrum, so applying the
/// bank costs about two multiplications per bin in aligned 512-bit steps.
/// </summary>
internal sealed class MelFilterBank
{
    private readonly int[] _start;
    private readonly int[] _offset;
    private readonly int[] _length;
    private readonly double[] _weights;
    private readonly int _weightsStart;
    private readonly int _maxBin;

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
        var rows = new double[bands][];
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
            rows[m] = row;
            if (first >= 0)
            {
                // Zero weights add exact zeros to the sum.
                _start[m] = first / CacheAligned.LineDoubles * CacheAligned.LineDoubles;
                _length[m] = Math.Min(frequencyBins, WholeLines(last + 1)) - _start[m];
            }
        }
        var total = 0;
        for (var m = 0; m < bands; m++)
        {
            _offset[m] = total;
            total += WholeLines(_length[m]);
        }
        (_weights, _weightsStart) = CacheAligned.Allocate(total);
        for (var m = 0; m < bands; m++)
        {
            rows[m].AsSpan(_start[m], _length[m]).CopyTo(_weights.AsSpan(_weightsStart + _offset[m]));
        }
        for (var m = 0; m < bands; m++)
        {
            _maxBin = Math.Max(_maxBin, _start[m] + _length[m]);
        }
    }

    public int Bands { get; }

    /// <summary>Mel band energies of one power spectrum frame.</summary>
    public void Apply(ReadOnlySpan<double> power, Span<double> bands)
    {
        if (power.Length < _maxBin || bands.Length < Bands) throw new ArgumentException("power or bands too short for this bank.");
        ref var weights = ref _weights[_weightsStart];
        ref var powerBase = ref MemoryMarshal.GetReference(power);
        for (var m = 0; m < Bands; m++)
        {
            bands[m] = Dot(ref Unsafe.Add(ref weights, _offset[m]), ref Unsafe.Add(ref powerBase, _start[m]), _length[m]);
        }
    }

    private static int WholeLines(int doubles) => (doubles + CacheAligned.LineDoubles - 1) / CacheAligned.LineDoubles * CacheAligned.LineDoubles;

    // Spans are whole lines except where the last one is cut at the last bin.
    private static double Dot(ref double a, ref double b, int length)
    {
        var sum = Vector512<double>.Zero;
        var i = 0;
        for (; i + CacheAligned.LineDoubles <= length; i += CacheAligned.LineDoubles)
        {
            sum += Vector512.LoadUnsafe(ref a, (nuint)i) * Vector512.LoadUnsafe(ref b, (nuint)i);
        }
        var total = Vector512.Sum(sum);
        for (; i < length; i++)
        {
            total += Unsafe.Add(ref a, i) * Unsafe.Add(ref b, i);
        }
        return total;
    }
}
