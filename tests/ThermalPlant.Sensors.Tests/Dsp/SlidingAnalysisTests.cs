using ThermalPlant.Sensors.Sampling;
using ThermalPlant.Sensors.Settings;
using ThermalPlant.Simulation.Dsp;

namespace ThermalPlant.Sensors.Tests.Dsp;

/// <summary>
/// The sensors service analyses only the new frames of each 1 s chunk (issue 20): its results equal a whole analysis of
/// the same chunk, bit for bit, while it computes 12 or 13 FFT frames of 44 per 0.1 s update at the defaults.
/// </summary>
public sealed class SlidingAnalysisTests
{
    private const int SampleRate = 44100;

    [Fact]
    public void Each_update_equals_the_whole_analysis_of_its_chunk_and_computes_only_the_new_and_edge_frames()
    {
        var features = new AudioFeatureOptions();
        var analysis = new AudioAnalysis(features, new AudioSettings(), SampleRate);
        var stream = Stream(SampleRate * 5, seed: 1);
        var computed = new List<int>();
        var position = 0;
        while (position + analysis.Block.Length <= stream.Length)
        {
            stream.AsSpan(position, analysis.Block.Length).CopyTo(analysis.Block);
            position += analysis.Block.Length;
            if (!analysis.Append(analysis.Block.Length)) continue;
            analysis.Compute();
            computed.Add(analysis.FramesComputed);
            AssertEqualsWholeAnalysis(features, analysis, stream, position);
        }

        Assert.Equal(40, computed.Count);
        Assert.Equal(44, computed[0]);
        Assert.All(computed.Skip(1), frames => Assert.InRange(frames, 12, 13));
    }

    [Fact]
    public void Uneven_reads_give_the_same_results_as_the_whole_analysis()
    {
        // A capture that returns fewer samples than asked for: chunks still end on whole hops and nothing is stale.
        var features = new AudioFeatureOptions();
        var analysis = new AudioAnalysis(features, new AudioSettings { SampleDuration = 0.5, BufferSize = 1 }, SampleRate);
        var stream = Stream(SampleRate * 2, seed: 2);
        var random = new Random(3);
        var position = 0;
        var updates = 0;
        while (true)
        {
            var count = Math.Min(random.Next(1, analysis.Block.Length + 1), stream.Length - position);
            if (count == 0) break;
            stream.AsSpan(position, count).CopyTo(analysis.Block);
            position += count;
            if (!analysis.Append(count)) continue;
            analysis.Compute();
            updates++;
            AssertEqualsWholeAnalysis(features, analysis, stream, position);
        }
        Assert.True(updates > 20, $"{updates} updates");
    }

    [Fact]
    public void A_chunk_moved_by_part_of_a_hop_is_analysed_whole()
    {
        var features = new AudioFeatureOptions();
        var extractor = new AudioFeatureExtractor(features, 20);
        var stream = Stream(SampleRate * 2, seed: 4);
        var spectrum = new double[extractor.SpectrumBands];
        var mfcc = new double[20];
        var frames = extractor.FrameCount(SampleRate);
        Assert.Equal(frames, extractor.ComputeSliding(stream.AsSpan(0, SampleRate), 0, spectrum, mfcc));
        Assert.Equal(frames, extractor.ComputeSliding(stream.AsSpan(100, SampleRate), 100, spectrum, mfcc));
        Assert.True(extractor.ComputeSliding(stream.AsSpan(100 + (4 * features.HopLength), SampleRate), 100 + (4 * features.HopLength), spectrum, mfcc) < frames);
        // A whole analysis in between starts the stream again.
        extractor.Compute(stream.AsSpan(0, SampleRate), spectrum, mfcc);
        Assert.Equal(frames, extractor.ComputeSliding(stream.AsSpan(100 + (8 * features.HopLength), SampleRate), 100 + (8 * features.HopLength), spectrum, mfcc));
    }

    private static void AssertEqualsWholeAnalysis(AudioFeatureOptions features, AudioAnalysis analysis, float[] stream, int streamEnd)
    {
        var chunk = analysis.Chunk.ToArray();
        // The chunk is the stream's samples at its position, ending within a hop of the newest sample.
        Assert.Equal(stream.AsSpan((int)analysis.ChunkStart, chunk.Length).ToArray(), chunk);
        Assert.InRange(streamEnd - (analysis.ChunkStart + chunk.Length), 0, features.HopLength - 1);
        Assert.Equal(0, (analysis.ChunkStart + chunk.Length) % features.HopLength);

        var whole = new AudioFeatureExtractor(features, analysis.Mfcc.Length);
        var spectrum = new double[whole.SpectrumBands];
        var mfcc = new double[analysis.Mfcc.Length];
        whole.Compute(chunk, spectrum, mfcc);
        Assert.Equal(spectrum, analysis.Spectrum);
        Assert.Equal(mfcc, analysis.Mfcc);
    }

    // A tone that glides, a second one switching on and off, and noise: every frame differs from its neighbours.
    private static float[] Stream(int length, int seed)
    {
        var random = new Random(seed);
        var samples = new float[length];
        for (var i = 0; i < length; i++)
        {
            var t = (double)i / SampleRate;
            var glide = Math.Sin(2 * Math.PI * (200 + (150 * t)) * t);
            var burst = (int)(t * 7) % 2 == 0 ? 0.3 * Math.Sin(2 * Math.PI * 3100 * t) : 0;
            samples[i] = (float)((0.4 * glide) + burst + (0.05 * (random.NextDouble() - 0.5)));
        }
        return samples;
    }
}
