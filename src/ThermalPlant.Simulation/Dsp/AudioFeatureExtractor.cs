using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ThermalPlant.Simulation.Dsp;

/// <summary>
/// Mel spectrum and MFCCs of a chunk of audio, averaged over its frames, defined as torchaudio's
/// <c>MelSpectrogram</c> and <c>MFCC</c> (centered frames with reflect padding, periodic Hann window, power 2,
/// <c>AmplitudeToDB("power", top_db)</c> over the whole chunk, orthonormal DCT-II). When both use the same FFT
/// (they do by default) the power spectrum of each frame is computed once. Buffers are kept between calls, so
/// <see cref="Compute"/> allocates nothing after the first chunk of a given length; not thread-safe.
/// </summary>
public sealed class AudioFeatureExtractor
{
    private const double AmplitudeFloor = 1e-10;

    private readonly AudioFeatureOptions _options;
    private readonly RealFft _fft;
    private readonly MelFilterBank _spectrumBank;
    private readonly MelFilterBank _mfccBank;
    private readonly DctII _dct;
    private readonly double[] _powerArray;
    private readonly int _powerStart;
    private readonly double[] _meanMfccDb;
    private double[] _padded = [];
    private double[] _spectrumDb = [];
    private double[] _mfccDb = [];

    // ComputeSliding: each frame's mel energies (spectrum bands, then MFCC mel bands) of this call and of the last one.
    private double[] _energies = [];
    private double[] _previousEnergies = [];
    private long _previousPosition = long.MinValue;
    private int _previousLength;

    /// <summary>Precomputes window, filter banks and DCT for <paramref name="options"/> and <paramref name="mfccCount"/> coefficients.</summary>
    public AudioFeatureExtractor(AudioFeatureOptions options, int mfccCount)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        options.Validate("", errors);
        if (mfccCount < 1 || mfccCount > options.MfccMelBands) errors.Add("mfccCount must be between 1 and MfccMelBands");
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors), nameof(options));

        _options = options;
        MfccCount = mfccCount;
        var window = new double[options.FftSize];
        for (var i = 0; i < window.Length; i++)
        {
            // Periodic Hann (torch.hann_window default): the window of length N+1 without its last point.
            window[i] = 0.5 - (0.5 * Math.Cos(2 * Math.PI * i / options.FftSize));
        }
        _fft = new RealFft(options.FftSize, window);
        var bins = (options.FftSize / 2) + 1;
        _spectrumBank = new MelFilterBank(bins, options.SpectrumMinFrequency, options.SpectrumMax, options.SpectrumBands, options.SampleRate);
        _mfccBank = new MelFilterBank(bins, options.MfccMinFrequency, options.MfccMax, options.MfccMelBands, options.SampleRate);
        _dct = new DctII(mfccCount, options.MfccMelBands);
        // Aligned, as the mel filters' spans start on whole cache lines of it.
        (_powerArray, _powerStart) = CacheAligned.Allocate(bins);
        _meanMfccDb = new double[options.MfccMelBands];
    }

    /// <summary>Number of spectrum values <see cref="Compute"/> writes.</summary>
    public int SpectrumBands => _options.SpectrumBands;

    /// <summary>Number of MFCCs <see cref="Compute"/> writes.</summary>
    public int MfccCount { get; }

    /// <summary>Frames a chunk of <paramref name="samples"/> samples is cut into (centered framing).</summary>
    public int FrameCount(int samples) => 1 + (samples / _options.HopLength);

    /// <summary>
    /// Analyses <paramref name="samples"/> (at least FftSize/2 + 1 of them, as reflect padding needs) into the
    /// time-averaged mel spectrum in dB and the time-averaged MFCCs.
    /// </summary>
    public void Compute(ReadOnlySpan<float> samples, Span<double> spectrumDb, Span<double> mfcc)
    {
        // The sliding cache follows one stream; a chunk analysed on its own starts it again.
        _previousPosition = long.MinValue;
        var nfft = _options.FftSize;
        if (samples.Length <= nfft / 2) throw new ArgumentException($"At least {(nfft / 2) + 1} samples are needed.", nameof(samples));
        if (spectrumDb.Length < SpectrumBands || mfcc.Length < MfccCount) throw new ArgumentException("Output spans are too short.");

        var frames = FrameCount(samples.Length);
        EnsureBuffers(samples.Length, frames);
        Pad(samples);

        var power = _powerArray.AsSpan(_powerStart, (nfft / 2) + 1);
        var spectrumBands = SpectrumBands;
        var mfccBands = _options.MfccMelBands;
        for (var t = 0; t < frames; t++)
        {
            _fft.PowerSpectrum(_padded.AsSpan(t * _options.HopLength, nfft), power);
            _spectrumBank.Apply(power, _spectrumDb.AsSpan(t * spectrumBands, spectrumBands));
            _mfccBank.Apply(power, _mfccDb.AsSpan(t * mfccBands, mfccBands));
        }

        ToDecibelsAveraged(_spectrumDb.AsSpan(0, frames * spectrumBands), frames, spectrumDb[..spectrumBands]);
        ToDecibelsAveraged(_mfccDb.AsSpan(0, frames * mfccBands), frames, _meanMfccDb);
        // The DCT is linear, so the mean of the frames' MFCCs is the DCT of the mean mel dB frame.
        _dct.Apply(_meanMfccDb, mfcc[..MfccCount]);
    }

    /// <summary>
    /// As <see cref="Compute"/>, for a chunk that starts at sample <paramref name="position"/> of a continuous stream
    /// (the same samples at the same positions from call to call): a frame that lies wholly inside this chunk and lay
    /// wholly inside the previous one, at the same stream position, takes the mel energies computed then. A chunk that
    /// moved by a whole number of hops costs only its new frames and the frames its edges reflect into; the results are
    /// those of <see cref="Compute"/> on the same samples, bit for bit (the same arithmetic, in the same order).
    /// </summary>
    /// <returns>The frames whose FFT was computed in this call.</returns>
    public int ComputeSliding(ReadOnlySpan<float> samples, long position, Span<double> spectrumDb, Span<double> mfcc)
    {
        var nfft = _options.FftSize;
        var hop = _options.HopLength;
        if (samples.Length <= nfft / 2) throw new ArgumentException($"At least {(nfft / 2) + 1} samples are needed.", nameof(samples));
        if (spectrumDb.Length < SpectrumBands || mfcc.Length < MfccCount) throw new ArgumentException("Output spans are too short.");

        var frames = FrameCount(samples.Length);
        EnsureBuffers(samples.Length, frames);
        var spectrumBands = SpectrumBands;
        var mfccBands = _options.MfccMelBands;
        var width = spectrumBands + mfccBands;
        if (_energies.Length < frames * width) _energies = new double[frames * width];
        if (_previousEnergies.Length < frames * width) _previousEnergies = new double[frames * width];

        // A frame of the previous chunk is this chunk's frame t + shift when the chunk moved by whole hops.
        var moved = position - _previousPosition;
        var reuse = _previousPosition != long.MinValue && moved >= 0 && moved % hop == 0 && moved / hop < frames;
        var shift = reuse ? (int)(moved / hop) : 0;
        var padded = false;
        var computed = 0;
        var power = _powerArray.AsSpan(_powerStart, (nfft / 2) + 1);
        for (var t = 0; t < frames; t++)
        {
            var row = _energies.AsSpan(t * width, width);
            var before = t + shift;
            if (reuse && Inside(t, samples.Length) && before < FrameCount(_previousLength) && Inside(before, _previousLength))
            {
                _previousEnergies.AsSpan(before * width, width).CopyTo(row);
                continue;
            }
            if (!padded)
            {
                Pad(samples);
                padded = true;
            }
            _fft.PowerSpectrum(_padded.AsSpan(t * hop, nfft), power);
            _spectrumBank.Apply(power, row[..spectrumBands]);
            _mfccBank.Apply(power, row[spectrumBands..]);
            computed++;
        }

        for (var t = 0; t < frames; t++)
        {
            var row = _energies.AsSpan(t * width, width);
            row[..spectrumBands].CopyTo(_spectrumDb.AsSpan(t * spectrumBands, spectrumBands));
            row[spectrumBands..].CopyTo(_mfccDb.AsSpan(t * mfccBands, mfccBands));
        }
        ToDecibelsAveraged(_spectrumDb.AsSpan(0, frames * spectrumBands), frames, spectrumDb[..spectrumBands]);
        ToDecibelsAveraged(_mfccDb.AsSpan(0, frames * mfccBands), frames, _meanMfccDb);
        _dct.Apply(_meanMfccDb, mfcc[..MfccCount]);

        (_energies, _previousEnergies) = (_previousEnergies, _energies);
        _previousPosition = position;
        _previousLength = samples.Length;
        return computed;
    }

    // Whether frame t of a chunk of `length` samples reads samples only (no reflection at either edge).
    private bool Inside(int t, int length)
    {
        var center = (long)t * _options.HopLength;
        var half = _options.FftSize / 2;
        return center >= half && center + half <= length;
    }

    /// <summary>Converts mel energies to dB, clamps at the chunk's maximum minus TopDb, and averages over frames.</summary>
    private void ToDecibelsAveraged(Span<double> values, int frames, Span<double> mean)
    {
        // 10 log10(x) as (10 / ln 10) ln(x), four values at a time.
        var scale = Vector256.Create(10.0 / Math.Log(10.0));
        var amplitudeFloor = Vector256.Create(AmplitudeFloor);
        var maxes = Vector256.Create(double.NegativeInfinity);
        ref var v = ref MemoryMarshal.GetReference(values);
        var i = 0;
        for (; i + 4 <= values.Length; i += 4)
        {
            var db = scale * Vector256.Log(Vector256.Max(Vector256.LoadUnsafe(ref v, (nuint)i), amplitudeFloor));
            db.StoreUnsafe(ref v, (nuint)i);
            maxes = Vector256.Max(maxes, db);
        }
        var max = Math.Max(Math.Max(maxes[0], maxes[1]), Math.Max(maxes[2], maxes[3]));
        for (; i < values.Length; i++)
        {
            var db = 10.0 * Math.Log10(Math.Max(values[i], AmplitudeFloor));
            values[i] = db;
            if (db > max) max = db;
        }
        var floor = max - _options.TopDb;
        mean.Clear();
        var bands = mean.Length;
        for (var t = 0; t < frames; t++)
        {
            var row = values.Slice(t * bands, bands);
            for (var m = 0; m < bands; m++)
            {
                mean[m] += Math.Max(row[m], floor);
            }
        }
        for (var m = 0; m < bands; m++)
        {
            mean[m] /= frames;
        }
    }

    private void EnsureBuffers(int samples, int frames)
    {
        var padded = samples + _options.FftSize;
        if (_padded.Length != padded) _padded = new double[padded];
        if (_spectrumDb.Length < frames * SpectrumBands) _spectrumDb = new double[frames * SpectrumBands];
        if (_mfccDb.Length < frames * _options.MfccMelBands) _mfccDb = new double[frames * _options.MfccMelBands];
    }

    /// <summary>Centers the frames: FftSize/2 samples of reflection (without repeating the edge) on each side.</summary>
    private void Pad(ReadOnlySpan<float> samples)
    {
        var pad = _options.FftSize / 2;
        var length = samples.Length;
        for (var r = 0; r < pad; r++)
        {
            _padded[r] = samples[pad - r];
            _padded[pad + length + r] = samples[length - 2 - r];
        }
        ref var source = ref MemoryMarshal.GetReference(samples);
        ref var target = ref _padded[pad];
        var i = 0;
        for (; i + 8 <= length; i += 8)
        {
            var eight = Vector256.LoadUnsafe(ref source, (nuint)i);
            Vector256.WidenLower(eight).StoreUnsafe(ref target, (nuint)i);
            Vector256.WidenUpper(eight).StoreUnsafe(ref target, (nuint)(i + 4));
        }
        for (; i < length; i++)
        {
            Unsafe.Add(ref target, i) = Unsafe.Add(ref source, i);
        }
    }
}
