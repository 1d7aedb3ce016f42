using ThermalPlant.Sensors.Settings;
using ThermalPlant.Simulation.Dsp;

namespace ThermalPlant.Sensors.Sampling;

/// <summary>
/// The capture ring and the analysis of its latest chunk, for one set of audio settings; rebuilt when they change.
/// The chunk analysed ends at the last whole hop of the stream (at most HopLength - 1 samples, 23 ms at the defaults,
/// before the newest sample), so that successive chunks are whole hops apart and each analysis computes only the frames
/// that are new or touch the chunk's edges (<see cref="AudioFeatureExtractor.ComputeSliding"/>): 12 or 13 of 44 at the
/// defaults instead of all of them, with the same results.
/// </summary>
internal sealed class AudioAnalysis
{
    private readonly AudioFeatureExtractor _extractor;
    private readonly float[] _ring;
    private readonly float[] _chunk;
    private readonly int _chunkLength;
    private readonly int _hop;
    private int _written;
    private long _total;

    public AudioAnalysis(AudioFeatureOptions features, AudioSettings settings, int sampleRate)
    {
        _extractor = new AudioFeatureExtractor(features, settings.MfccCount);
        _chunkLength = Math.Max((features.FftSize / 2) + 1, (int)Math.Round(settings.SampleDuration * sampleRate));
        _hop = features.HopLength;
        // One hop more than the chunks kept: the chunk analysed may end up to a hop before the newest sample.
        _ring = new float[(_chunkLength * settings.BufferSize) + _hop];
        _chunk = new float[_chunkLength];
        Block = new float[Math.Max(1, (int)Math.Round(features.UpdateIntervalSeconds * sampleRate))];
        Spectrum = new double[_extractor.SpectrumBands];
        Mfcc = new double[_extractor.MfccCount];
        SpectrumParameters = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["sample_rate"] = sampleRate,
            ["n_fft"] = features.FftSize,
            ["hop_length"] = features.HopLength,
            ["n_mels"] = features.SpectrumBands,
            ["f_min"] = features.SpectrumMinFrequency,
            ["f_max"] = features.SpectrumMax,
            ["power"] = 2,
            ["top_db"] = features.TopDb,
            ["chunk_seconds"] = settings.SampleDuration,
        };
        MfccParameters = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["sample_rate"] = sampleRate,
            ["n_mfcc"] = settings.MfccCount,
            ["n_fft"] = features.FftSize,
            ["hop_length"] = features.HopLength,
            ["n_mels"] = features.MfccMelBands,
            ["f_min"] = features.MfccMinFrequency,
            ["f_max"] = features.MfccMax,
            ["top_db"] = features.TopDb,
            ["chunk_seconds"] = settings.SampleDuration,
        };
    }

    /// <summary>Where the next block of capture goes (one update interval of samples).</summary>
    public float[] Block { get; }

    public double[] Spectrum { get; }

    public double[] Mfcc { get; }

    public double LevelDbfs { get; private set; }

    public IReadOnlyDictionary<string, double> SpectrumParameters { get; }

    public IReadOnlyDictionary<string, double> MfccParameters { get; }

    /// <summary>The FFT frames computed by the last <see cref="Compute"/> (the others were reused).</summary>
    public int FramesComputed { get; private set; }

    /// <summary>The stream position (samples since the start) of the first sample of the chunk last analysed.</summary>
    public long ChunkStart { get; private set; }

    /// <summary>Appends the first <paramref name="count"/> samples of <see cref="Block"/>; true once a whole chunk is held.</summary>
    public bool Append(int count)
    {
        var source = Block.AsSpan(0, count);
        while (!source.IsEmpty)
        {
            var room = Math.Min(source.Length, _ring.Length - _written);
            source[..room].CopyTo(_ring.AsSpan(_written));
            _written = (_written + room) % _ring.Length;
            source = source[room..];
        }
        _total += count;
        return AlignedEnd >= _chunkLength;
    }

    // The stream position just after the chunk to analyse: the newest whole hop.
    private long AlignedEnd => _total - (_total % _hop);

    /// <summary>Analyses the latest chunk of the ring that ends on a whole hop.</summary>
    public void Compute()
    {
        var end = AlignedEnd;
        var behind = (int)(_total - end);
        var start = (int)(((_written - behind - _chunkLength) % _ring.Length + _ring.Length) % _ring.Length);
        var first = Math.Min(_chunkLength, _ring.Length - start);
        _ring.AsSpan(start, first).CopyTo(_chunk);
        _ring.AsSpan(0, _chunkLength - first).CopyTo(_chunk.AsSpan(first));
        ChunkStart = end - _chunkLength;
        FramesComputed = _extractor.ComputeSliding(_chunk, ChunkStart, Spectrum, Mfcc);
        LevelDbfs = SoundLevel.RmsDbfs(_chunk);
    }

    /// <summary>The chunk last analysed (for tests comparing with a whole analysis).</summary>
    internal ReadOnlySpan<float> Chunk => _chunk;
}
