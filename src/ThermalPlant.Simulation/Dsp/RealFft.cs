using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ThermalPlant.Simulation.Dsp;

/// <summary>
/// Power spectrum of a real frame of length N (a power of two) through one complex FFT of length N/2:
/// even samples go to the real part, odd to the imaginary part, and the two half spectra are separated
/// afterwards. Radix-2 decimation in time over split real/imaginary arrays, twiddles precomputed per stage
/// and contiguous so the butterflies run on 512-bit vectors, two stages per pass over memory, the early passes
/// tile by tile in L1. Not thread-safe: one instance per analysis loop.
/// </summary>
internal sealed class RealFft
{
    // 1024 points of real and imaginary parts are 16 KiB: a tile and its twiddles fit in L1 with room to spare.
    private const int Tile = 1024;

    private readonly int _n;
    private readonly bool _vectorLoad;
    private readonly int _half;
    private readonly int[] _bitReversed;
    private readonly double[] _stageCos;
    private readonly double[] _stageSin;
    private readonly double[] _splitCos;
    private readonly double[] _splitSin;
    private readonly double[] _window;
    private readonly double[] _streamedWindow;
    private readonly double[] _work;
    private readonly int _reStart;
    private readonly int _imStart;

    /// <param name="n">Frame length, a power of two >= 32.</param>
    /// <param name="window">The N weights every frame is multiplied by.</param>
    /// <param name="vectorLoad">Use the AVX2 load pass where the CPU has it; tests turn it off to cover the portable pass.</param>
    public RealFft(int n, ReadOnlySpan<double> window, bool vectorLoad = true)
    {
        // The vector passes take blocks of 16 points of the half-length FFT (eight lanes over two blocks of span 4).
        if (n < 32 || !BitOperations.IsPow2(n)) throw new ArgumentOutOfRangeException(nameof(n), n, "FFT length must be a power of two >= 32.");
        if (window.Length != n) throw new ArgumentException("The window needs N values.", nameof(window));
        _n = n;
        _window = window.ToArray();
        _streamedWindow = InLoadOrder(_window);
        _vectorLoad = vectorLoad && Avx2.IsSupported;
        _half = n / 2;
        (_work, _reStart, _imStart) = AllocateWork(_half);
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
    /// Writes |X[k]|^2 for k = 0..N/2 of <paramref name="frame"/> multiplied by the window.
    /// </summary>
    public void PowerSpectrum(ReadOnlySpan<double> frame, Span<double> power)
    {
        if (frame.Length < _n || power.Length < _half + 1)
        {
            throw new ArgumentException("frame needs N values, power N/2+1.");
        }
        var re = _work.AsSpan(_reStart, _half);
        var im = _work.AsSpan(_imStart, _half);
        if (_vectorLoad)
        {
            LoadFirstStagesVectorized(frame, re, im);
        }
        else
        {
            LoadFirstStages(frame, re, im);
        }
        Transform(re, im);

        // Separate the spectra of the even and odd samples, recombine: X[k] = E[k] + W^k O[k].
        power[0] = Square(re[0] + im[0]);
        power[_half] = Square(re[0] - im[0]);
        Split(re, im, power);
    }

    /// <summary>
    /// X[k] = E[k] + W^k O[k] for 0 &lt; k &lt; N/2, with E and O recovered from Z[k] and conj(Z[N/2-k]);
    /// eight bins per step, the mirrored bins loaded as a vector and reversed. 2E and 2O are formed, and the
    /// factor 1/4 applied to |2X|^2 at the end: scaling by a power of two is exact, so this saves four
    /// multiplications per step without changing a bit.
    /// </summary>
    private void Split(Span<double> re, Span<double> im, Span<double> power)
    {
        var m = _half;
        ref var reBase = ref MemoryMarshal.GetReference(re);
        ref var imBase = ref MemoryMarshal.GetReference(im);
        ref var cosBase = ref MemoryMarshal.GetArrayDataReference(_splitCos);
        ref var sinBase = ref MemoryMarshal.GetArrayDataReference(_splitSin);
        ref var powerBase = ref MemoryMarshal.GetReference(power);
        var reverse = Vector512.Create(7L, 6, 5, 4, 3, 2, 1, 0);
        var quarter = Vector512.Create(0.25);
        var k = 1;
        for (; k + 8 <= m; k += 8)
        {
            var zr = Vector512.LoadUnsafe(ref reBase, (nuint)k);
            var zi = Vector512.LoadUnsafe(ref imBase, (nuint)k);
            // Bins m-k-7 .. m-k, reversed so lane j holds bin m-(k+j): conj(Z[m-k]) = cr - i mi.
            var cr = Vector512.Shuffle(Vector512.LoadUnsafe(ref reBase, (nuint)(m - k - 7)), reverse);
            var mi = Vector512.Shuffle(Vector512.LoadUnsafe(ref imBase, (nuint)(m - k - 7)), reverse);
            var or = zi + mi;
            var oi = cr - zr;
            var wr = Vector512.LoadUnsafe(ref cosBase, (nuint)k);
            var wi = Vector512.LoadUnsafe(ref sinBase, (nuint)k);
            var xr = (zr + cr) + ((wr * or) - (wi * oi));
            var xi = (zi - mi) + ((wr * oi) + (wi * or));
            (quarter * ((xr * xr) + (xi * xi))).StoreUnsafe(ref powerBase, (nuint)k);
        }
        for (; k < m; k++)
        {
            var zr = re[k];
            var zi = im[k];
            var cr = re[m - k];
            var mi = im[m - k];
            var or = zi + mi;
            var oi = cr - zr;
            var xr = (zr + cr) + ((_splitCos[k] * or) - (_splitSin[k] * oi));
            var xi = (zi - mi) + ((_splitCos[k] * oi) + (_splitSin[k] * or));
            power[k] = 0.25 * ((xr * xr) + (xi * xi));
        }
    }

    /// <summary>
    /// Packs even samples as real and odd as imaginary parts (windowed), in bit-reversed order, and runs the
    /// first two stages (spans 1 and 2, twiddles 1 and -i) on the way: output group 4g holds the inputs
    /// rev(4g) + {0, M/2, M/4, 3M/4}, so one pass does what a permutation and a stage pass did.
    /// </summary>
    private void LoadFirstStages(ReadOnlySpan<double> frame, Span<double> re, Span<double> im)
    {
        var m = _half;
        var quarter = m / 4;
        ref var f = ref MemoryMarshal.GetReference(frame);
        ref var w = ref MemoryMarshal.GetArrayDataReference(_window);
        ref var reversed = ref MemoryMarshal.GetArrayDataReference(_bitReversed);
        ref var reBase = ref MemoryMarshal.GetReference(re);
        ref var imBase = ref MemoryMarshal.GetReference(im);
        for (var k = 0; k < m; k += 4)
        {
            var b = Unsafe.Add(ref reversed, k);
            var i0 = 2 * b;
            var i1 = 2 * (b + (2 * quarter));
            var i2 = 2 * (b + quarter);
            var i3 = 2 * (b + (3 * quarter));
            var x0r = Unsafe.Add(ref f, i0) * Unsafe.Add(ref w, i0); var x0i = Unsafe.Add(ref f, i0 + 1) * Unsafe.Add(ref w, i0 + 1);
            var x1r = Unsafe.Add(ref f, i1) * Unsafe.Add(ref w, i1); var x1i = Unsafe.Add(ref f, i1 + 1) * Unsafe.Add(ref w, i1 + 1);
            var x2r = Unsafe.Add(ref f, i2) * Unsafe.Add(ref w, i2); var x2i = Unsafe.Add(ref f, i2 + 1) * Unsafe.Add(ref w, i2 + 1);
            var x3r = Unsafe.Add(ref f, i3) * Unsafe.Add(ref w, i3); var x3i = Unsafe.Add(ref f, i3 + 1) * Unsafe.Add(ref w, i3 + 1);
            var u0r = x0r + x1r; var u0i = x0i + x1i;
            var u1r = x0r - x1r; var u1i = x0i - x1i;
            var u2r = x2r + x3r; var u2i = x2i + x3i;
            var u3r = x2r - x3r; var u3i = x2i - x3i;
            Unsafe.Add(ref reBase, k) = u0r + u2r; Unsafe.Add(ref imBase, k) = u0i + u2i;
            Unsafe.Add(ref reBase, k + 2) = u0r - u2r; Unsafe.Add(ref imBase, k + 2) = u0i - u2i;
            // (-i) * u3 = (u3i, -u3r)
            Unsafe.Add(ref reBase, k + 1) = u1r + u3i; Unsafe.Add(ref imBase, k + 1) = u1i - u3r;
            Unsafe.Add(ref reBase, k + 3) = u1r - u3i; Unsafe.Add(ref imBase, k + 3) = u1i + u3r;
        }
    }

    /// <summary>
    /// <see cref="LoadFirstStages"/> on 256-bit vectors. Lanes are four consecutive source positions b..b+3, so
    /// every input is one contiguous load (windowed, then split into even and odd samples); their output
    /// groups rev(b)..rev(b+3) are scattered, so the 4x4 block is transposed and stored row by row.
    /// </summary>
    private void LoadFirstStagesVectorized(ReadOnlySpan<double> frame, Span<double> re, Span<double> im)
    {
        var quarter = _half / 4;
        ref var f = ref MemoryMarshal.GetReference(frame);
        ref var w = ref MemoryMarshal.GetArrayDataReference(_streamedWindow);
        ref var reversed = ref MemoryMarshal.GetArrayDataReference(_bitReversed);
        ref var reBase = ref MemoryMarshal.GetReference(re);
        ref var imBase = ref MemoryMarshal.GetReference(im);
        for (var b = 0; b < quarter; b += 4)
        {
            ref var weights = ref Unsafe.Add(ref w, 8 * b);
            var (x0r, x0i) = LoadComplex(ref f, b, ref weights);
            var (x1r, x1i) = LoadComplex(ref f, b + (2 * quarter), ref Unsafe.Add(ref weights, 8));
            var (x2r, x2i) = LoadComplex(ref f, b + quarter, ref Unsafe.Add(ref weights, 16));
            var (x3r, x3i) = LoadComplex(ref f, b + (3 * quarter), ref Unsafe.Add(ref weights, 24));
            var u0r = x0r + x1r; var u0i = x0i + x1i;
            var u1r = x0r - x1r; var u1i = x0i - x1i;
            var u2r = x2r + x3r; var u2i = x2i + x3i;
            var u3r = x2r - x3r; var u3i = x2i - x3i;
            var k0 = Unsafe.Add(ref reversed, b);
            var k1 = Unsafe.Add(ref reversed, b + 1);
            var k2 = Unsafe.Add(ref reversed, b + 2);
            var k3 = Unsafe.Add(ref reversed, b + 3);
            StoreTransposed(ref reBase, k0, k1, k2, k3, u0r + u2r, u1r + u3i, u0r - u2r, u1r - u3i);
            StoreTransposed(ref imBase, k0, k1, k2, k3, u0i + u2i, u1i - u3r, u0i - u2i, u1i + u3r);
        }
    }

    /// <summary>
    /// The window in the order <see cref="LoadFirstStagesVectorized"/> reads it: for each step, the eight weights of
    /// each of its four inputs. The frame's four inputs are 16 KiB apart and so share L1 sets; read in place, the
    /// window's four would share them too and evict each other, read in this order they are one stream.
    /// </summary>
    private static double[] InLoadOrder(double[] window)
    {
        var quarter = window.Length / 8;
        var ordered = new double[window.Length];
        var next = 0;
        for (var b = 0; b < quarter; b += 4)
        {
            foreach (var input in (ReadOnlySpan<int>)[b, b + (2 * quarter), b + quarter, b + (3 * quarter)])
            {
                window.AsSpan(2 * input, 8).CopyTo(ordered.AsSpan(next));
                next += 8;
            }
        }
        return ordered;
    }

    /// <summary>
    /// Windowed complex samples z[i..i+3] = x[2i..] + i x[2i+1..], with the eight weights at <paramref name="weights"/>:
    /// two loads, split into real and imaginary lanes.
    /// </summary>
    private static (Vector256<double> Re, Vector256<double> Im) LoadComplex(ref double frame, int i, ref double weights)
    {
        var a = Vector256.LoadUnsafe(ref frame, (nuint)(2 * i)) * Vector256.LoadUnsafe(ref weights);
        var b = Vector256.LoadUnsafe(ref frame, (nuint)((2 * i) + 4)) * Vector256.LoadUnsafe(ref weights, 4);
        // a = (s0 s1 s2 s3), b = (s4 s5 s6 s7): evens (s0 s2 s4 s6), odds (s1 s3 s5 s7).
        return (Avx2.Permute4x64(Avx.UnpackLow(a, b), 0b11_01_10_00), Avx2.Permute4x64(Avx.UnpackHigh(a, b), 0b11_01_10_00));
    }

    /// <summary>Lane l of <paramref name="y0"/>..<paramref name="y3"/> holds the outputs at kl..kl+3: a 4x4 transpose, then a store per row.</summary>
    private static void StoreTransposed(ref double target, int k0, int k1, int k2, int k3, Vector256<double> y0, Vector256<double> y1, Vector256<double> y2, Vector256<double> y3)
    {
        var t0 = Avx.UnpackLow(y0, y1);
        var t1 = Avx.UnpackHigh(y0, y1);
        var t2 = Avx.UnpackLow(y2, y3);
        var t3 = Avx.UnpackHigh(y2, y3);
        Avx.Permute2x128(t0, t2, 0x20).StoreUnsafe(ref target, (nuint)k0);
        Avx.Permute2x128(t1, t3, 0x20).StoreUnsafe(ref target, (nuint)k1);
        Avx.Permute2x128(t0, t2, 0x31).StoreUnsafe(ref target, (nuint)k2);
        Avx.Permute2x128(t1, t3, 0x31).StoreUnsafe(ref target, (nuint)k3);
    }

    private void Transform(Span<double> re, Span<double> im)
    {
        var n = _half;
        ref var reBase = ref MemoryMarshal.GetReference(re);
        ref var imBase = ref MemoryMarshal.GetReference(im);
        ref var cosBase = ref MemoryMarshal.GetArrayDataReference(_stageCos);
        ref var sinBase = ref MemoryMarshal.GetArrayDataReference(_stageSin);

        // Two radix-2 stages per pass (spans h and 2h), over vectors of j: half the passes over memory. Span 4
        // has four butterflies per block, so its vectors take two blocks at once. Spans up to Tile/4 stay within
        // tiles of Tile points, so those passes run tile by tile while it is in L1 rather than over the whole array.
        var tile = Math.Min(n, Tile);
        var h = 4;
        for (var start = 0; start < n; start += tile)
        {
            ref var tileRe = ref Unsafe.Add(ref reBase, start);
            ref var tileIm = ref Unsafe.Add(ref imBase, start);
            Radix4Pass<TwoBlocks>(ref tileRe, ref tileIm, ref cosBase, ref sinBase, tile, 4);
            for (h = 16; 4 * h <= tile; h *= 4)
            {
                Radix4Pass<OneBlock>(ref tileRe, ref tileIm, ref cosBase, ref sinBase, tile, h);
            }
        }
        for (; 4 * h <= n; h *= 4)
        {
            Radix4Pass<OneBlock>(ref reBase, ref imBase, ref cosBase, ref sinBase, n, h);
        }

        // An odd number of stages leaves one radix-2 stage of span h (16 or more).
        if (h < n)
        {
            for (var j = 0; j < h; j += 8)
            {
                var a = (nuint)j;
                var b = a + (nuint)h;
                var wr = Vector512.LoadUnsafe(ref cosBase, (nuint)(h - 1 + j));
                var wi = Vector512.LoadUnsafe(ref sinBase, (nuint)(h - 1 + j));
                var br = Vector512.LoadUnsafe(ref reBase, b); var bi = Vector512.LoadUnsafe(ref imBase, b);
                var ar = Vector512.LoadUnsafe(ref reBase, a); var ai = Vector512.LoadUnsafe(ref imBase, a);
                var tr = (br * wr) - (bi * wi);
                var ti = (br * wi) + (bi * wr);
                (ar + tr).StoreUnsafe(ref reBase, a); (ai + ti).StoreUnsafe(ref imBase, a);
                (ar - tr).StoreUnsafe(ref reBase, b); (ai - ti).StoreUnsafe(ref imBase, b);
            }
        }
    }

    /// <summary>
    /// Stages of span h and 2h over blocks of 4h points, eight butterflies (values of j) per 512-bit vector;
    /// <typeparamref name="TLanes"/> says how a vector's lanes map to points.
    /// </summary>
    private static void Radix4Pass<TLanes>(ref double reBase, ref double imBase, ref double cosBase, ref double sinBase, int n, int h)
        where TLanes : struct, ILanes
    {
        // A 16-point transform has a single block of span 4: both halves of a two-block vector then take it.
        var second = (nuint)Math.Min(4 * h, n - (4 * h));
        for (var block = 0; block < n; block += 4 * h * TLanes.BlocksPerVector)
        {
            for (var j = 0; j < h; j += 8)
            {
                var i0 = (nuint)(block + j);
                var i1 = i0 + (nuint)h;
                var i2 = i1 + (nuint)h;
                var i3 = i2 + (nuint)h;
                var t1r = TLanes.Twiddles(ref cosBase, (nuint)(h - 1 + j));
                var t1i = TLanes.Twiddles(ref sinBase, (nuint)(h - 1 + j));
                var t2r = TLanes.Twiddles(ref cosBase, (nuint)((2 * h) - 1 + j));
                var t2i = TLanes.Twiddles(ref sinBase, (nuint)((2 * h) - 1 + j));

                var x0r = TLanes.Load(ref reBase, i0, second); var x0i = TLanes.Load(ref imBase, i0, second);
                var x1r = TLanes.Load(ref reBase, i1, second); var x1i = TLanes.Load(ref imBase, i1, second);
                var x2r = TLanes.Load(ref reBase, i2, second); var x2i = TLanes.Load(ref imBase, i2, second);
                var x3r = TLanes.Load(ref reBase, i3, second); var x3i = TLanes.Load(ref imBase, i3, second);

                // Span h: (x0, x1) and (x2, x3) with twiddle t1.
                var p1r = (x1r * t1r) - (x1i * t1i); var p1i = (x1r * t1i) + (x1i * t1r);
                var p3r = (x3r * t1r) - (x3i * t1i); var p3i = (x3r * t1i) + (x3i * t1r);
                var u0r = x0r + p1r; var u0i = x0i + p1i;
                var u1r = x0r - p1r; var u1i = x0i - p1i;
                var u2r = x2r + p3r; var u2i = x2i + p3i;
                var u3r = x2r - p3r; var u3i = x2i - p3i;

                // Span 2h: (u0, u2) with t2, (u1, u3) with t2 * (-i).
                var q2r = (u2r * t2r) - (u2i * t2i); var q2i = (u2r * t2i) + (u2i * t2r);
                var q3r = (u3r * t2r) - (u3i * t2i); var q3i = (u3r * t2i) + (u3i * t2r);
                TLanes.Store(u0r + q2r, ref reBase, i0, second); TLanes.Store(u0i + q2i, ref imBase, i0, second);
                TLanes.Store(u0r - q2r, ref reBase, i2, second); TLanes.Store(u0i - q2i, ref imBase, i2, second);
                TLanes.Store(u1r + q3i, ref reBase, i1, second); TLanes.Store(u1i - q3r, ref imBase, i1, second);
                TLanes.Store(u1r - q3i, ref reBase, i3, second); TLanes.Store(u1i + q3r, ref imBase, i3, second);
            }
        }
    }

    /// <summary>How the eight lanes of a pass's vectors map to points: type parameters, so each pass compiles to its own loads.</summary>
    private interface ILanes
    {
        /// <summary>Blocks of 4h points one vector spans.</summary>
        static abstract int BlocksPerVector { get; }

        /// <summary>The points of lanes 0..7 from point <paramref name="index"/>; a second block starts <paramref name="second"/> points on.</summary>
        static abstract Vector512<double> Load(ref double data, nuint index, nuint second);

        /// <summary>Writes lanes 0..7 back where <see cref="Load"/> took them.</summary>
        static abstract void Store(Vector512<double> value, ref double data, nuint index, nuint second);

        /// <summary>The twiddles of lanes 0..7 from table entry <paramref name="index"/>.</summary>
        static abstract Vector512<double> Twiddles(ref double table, nuint index);
    }

    /// <summary>Eight consecutive points of one block (spans of 8 or more).</summary>
    private readonly struct OneBlock : ILanes
    {
        public static int BlocksPerVector => 1;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> Load(ref double data, nuint index, nuint second) => Vector512.LoadUnsafe(ref data, index);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector512<double> value, ref double data, nuint index, nuint second) => value.StoreUnsafe(ref data, index);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> Twiddles(ref double table, nuint index) => Vector512.LoadUnsafe(ref table, index);
    }

    /// <summary>Four consecutive points in each of two blocks (span 4), with the same four twiddles.</summary>
    private readonly struct TwoBlocks : ILanes
    {
        public static int BlocksPerVector => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> Load(ref double data, nuint index, nuint second) =>
            Vector512.Create(Vector256.LoadUnsafe(ref data, index), Vector256.LoadUnsafe(ref data, index + second));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector512<double> value, ref double data, nuint index, nuint second)
        {
            value.GetLower().StoreUnsafe(ref data, index);
            value.GetUpper().StoreUnsafe(ref data, index + second);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> Twiddles(ref double table, nuint index)
        {
            var four = Vector256.LoadUnsafe(ref table, index);
            return Vector512.Create(four, four);
        }
    }

    /// <summary>
    /// The real and imaginary parts, each starting on a 64-byte boundary so no 512-bit access straddles two cache
    /// lines, and a few lines apart modulo 4 KiB so re[k] and im[k] neither share an L1 set nor alias.
    /// </summary>
    private static (double[] Work, int ReStart, int ImStart) AllocateWork(int half)
    {
        const int Skew = 4 * CacheAligned.LineDoubles;
        var (work, reStart) = CacheAligned.Allocate((2 * half) + Skew);
        return (work, reStart, reStart + half + Skew);
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
