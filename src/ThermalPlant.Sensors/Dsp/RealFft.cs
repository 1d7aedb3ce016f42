using System.Numerics;
using System.Runtime.InteropServices;

namespace ThermalPlant.Sensors.Dsp;

/// <summary>
/// Power spectrum of a real frame of length N (a power of two) through one complex FFT of length N/2:
/// even samples go to the real part, odd to the imaginary part, and the two half spectra are separated
/// afterwards. Radix-2 decimation in time over split real/imaginary arrays, twiddles precomputed per stage
/// and contiguous so the butterflies run on SIMD vectors. Not thread-safe: one instance per analysis loop.
/// </summary>
internal sealed class RealFft
{
    private readonly int _n;
    private readonly int _half;
    private readonly int[] _bitReversed;
    private readonly double[] _stageCos;
    private readonly double[] _stageSin;
    private readonly double[] _splitCos;
    private readonly double[] _splitSin;
    private readonly double[] _re;
    private readonly double[] _im;

    public RealFft(int n)
    {
        if (n < 4 || !BitOperations.IsPow2(n)) throw new ArgumentOutOfRangeException(nameof(n), n, "FFT length must be a power of two >= 4.");
        _n = n;
        _half = n / 2;
        _re = new double[_half];
        _im = new double[_half];
        _bitReversed = new int[_half];
        var bits = BitOperations.Log2((uint)_half);
        for (var i = 0; i < _half; i++)
        {
            _bitReversed[i] = (int)(ReverseBits((uint)i) >> (32 - bits));
        }
        // Stage with butterfly span h uses exp(-2 pi i j / (2h)), j < h; stored at offset h - 1.
        _stageCos = new double[Math.Max(1, _half)];
        _stageSin = new double[Math.Max(1, _half)];
        for (var h = 1; h < _half; h <<= 1)
        {
            for (var j = 0; j < h; j++)
            {
                var angle = -Math.PI * j / h;
                _stageCos[h - 1 + j] = Math.Cos(angle);
                _stageSin[h - 1 + j] = Math.Sin(angle);
            }
        }
        _splitCos = new double[_half + 1];
        _splitSin = new double[_half + 1];
        for (var k = 0; k <= _half; k++)
        {
            var angle = -2 * Math.PI * k / n;
            _splitCos[k] = Math.Cos(angle);
            _splitSin[k] = Math.Sin(angle);
        }
    }

    /// <summary>Frame length N.</summary>
    public int Length => _n;

    /// <summary>
    /// Writes |X[k]|^2 for k = 0..N/2 of <paramref name="frame"/> multiplied by <paramref name="window"/>.
    /// </summary>
    public void PowerSpectrum(ReadOnlySpan<double> frame, ReadOnlySpan<double> window, Span<double> power)
    {
        if (frame.Length < _n || window.Length < _n || power.Length < _half + 1)
        {
            throw new ArgumentException("frame and window need N values, power N/2+1.");
        }
        var re = _re;
        var im = _im;
        var reversed = _bitReversed;
        for (var i = 0; i < _half; i++)
        {
            var target = reversed[i];
            re[target] = frame[2 * i] * window[2 * i];
            im[target] = frame[(2 * i) + 1] * window[(2 * i) + 1];
        }
        Transform(re, im);

        // Separate the spectra of the even and odd samples, recombine: X[k] = E[k] + W^k O[k].
        power[0] = Square(re[0] + im[0]);
        power[_half] = Square(re[0] - im[0]);
        for (var k = 1; k < _half; k++)
        {
            var zr = re[k];
            var zi = im[k];
            var cr = re[_half - k];
            var ci = -im[_half - k];
            var er = 0.5 * (zr + cr);
            var ei = 0.5 * (zi + ci);
            // O = (Z - conj(Z[M-k])) / 2i
            var or = 0.5 * (zi - ci);
            var oi = -0.5 * (zr - cr);
            var wr = _splitCos[k];
            var wi = _splitSin[k];
            var xr = er + ((wr * or) - (wi * oi));
            var xi = ei + ((wr * oi) + (wi * or));
            power[k] = (xr * xr) + (xi * xi);
        }
    }

    private void Transform(double[] re, double[] im)
    {
        var n = _half;
        // Span 1: butterflies without multiplications.
        for (var k = 0; k < n; k += 2)
        {
            var ar = re[k];
            var ai = im[k];
            var br = re[k + 1];
            var bi = im[k + 1];
            re[k] = ar + br;
            im[k] = ai + bi;
            re[k + 1] = ar - br;
            im[k + 1] = ai - bi;
        }
        var width = Vector<double>.Count;
        for (var h = 2; h < n; h <<= 1)
        {
            var wcos = _stageCos.AsSpan(h - 1, h);
            var wsin = _stageSin.AsSpan(h - 1, h);
            if (h >= width)
            {
                var vcos = MemoryMarshal.Cast<double, Vector<double>>(wcos);
                for (var block = 0; block < n; block += 2 * h)
                {
                    var aRe = MemoryMarshal.Cast<double, Vector<double>>(re.AsSpan(block, h));
                    var aIm = MemoryMarshal.Cast<double, Vector<double>>(im.AsSpan(block, h));
                    var bRe = MemoryMarshal.Cast<double, Vector<double>>(re.AsSpan(block + h, h));
                    var bIm = MemoryMarshal.Cast<double, Vector<double>>(im.AsSpan(block + h, h));
                    var vsin = MemoryMarshal.Cast<double, Vector<double>>(wsin);
                    for (var j = 0; j < aRe.Length; j++)
                    {
                        var tr = (bRe[j] * vcos[j]) - (bIm[j] * vsin[j]);
                        var ti = (bRe[j] * vsin[j]) + (bIm[j] * vcos[j]);
                        bRe[j] = aRe[j] - tr;
                        bIm[j] = aIm[j] - ti;
                        aRe[j] += tr;
                        aIm[j] += ti;
                    }
                }
            }
            else
            {
                for (var block = 0; block < n; block += 2 * h)
                {
                    for (var j = 0; j < h; j++)
                    {
                        var a = block + j;
                        var b = a + h;
                        var tr = (re[b] * wcos[j]) - (im[b] * wsin[j]);
                        var ti = (re[b] * wsin[j]) + (im[b] * wcos[j]);
                        re[b] = re[a] - tr;
                        im[b] = im[a] - ti;
                        re[a] += tr;
                        im[a] += ti;
                    }
                }
            }
        }
    }

    private static double Square(double x) => x * x;

    private static uint ReverseBits(uint value)
    {
        value = ((value >> 1) & 0x55555555u) | ((value & 0x55555555u) << 1);
        value = ((value >> 2) & 0x33333333u) | ((value & 0x33333333u) << 2);
        value = ((value >> 4) & 0x0F0F0F0Fu) | ((value & 0x0F0F0F0Fu) << 4);
        value = ((value >> 8) & 0x00FF00FFu) | ((value & 0x00FF00FFu) << 8);
        return (value >> 16) | (value << 16);
    }
}
