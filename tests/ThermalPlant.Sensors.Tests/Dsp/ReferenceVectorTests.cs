using System.Runtime.InteropServices;
using System.Text.Json;
using ThermalPlant.Simulation.Dsp;

namespace ThermalPlant.Sensors.Tests.Dsp;

/// <summary>
/// Our spectrum and MFCCs against vectors an independent numpy/scipy implementation of the same definitions
/// computed (tests/reference/dsp/make_reference.py) for fixed signals.
/// </summary>
public sealed class ReferenceVectorTests
{
    // Relative 1e-6, with magnitudes floored at 1 dB: coefficients that are mathematically zero (a constant
    // mel frame has only c0) come out near 1e-13 on both sides, where a relative measure is meaningless.
    private const double Tolerance = 1e-6;

    public static TheoryData<string> Signals => ["sine_1khz", "chirp_100_10k", "white_noise", "silence", "two_tones_16k"];

    [Theory]
    [MemberData(nameof(Signals))]
    public void Spectrum_and_mfcc_match_the_reference_within_1e_6_relative(string signal)
    {
        var (options, mfccCount, samples, expectedSpectrum, expectedMfcc) = Load(signal);
        var extractor = new AudioFeatureExtractor(options, mfccCount);
        var spectrum = new double[extractor.SpectrumBands];
        var mfcc = new double[extractor.MfccCount];

        extractor.Compute(samples, spectrum, mfcc);

        AssertClose(expectedSpectrum, spectrum, "spectrum");
        AssertClose(expectedMfcc, mfcc, "mfcc");
    }

    [Fact]
    public void Silence_is_the_floor_everywhere()
    {
        var (options, mfccCount, samples, _, _) = Load("silence");
        var extractor = new AudioFeatureExtractor(options, mfccCount);
        var spectrum = new double[extractor.SpectrumBands];
        var mfcc = new double[extractor.MfccCount];
        extractor.Compute(samples, spectrum, mfcc);
        Assert.All(spectrum, v => Assert.Equal(-100, v, 9));
        Assert.Equal(-100 * Math.Sqrt(128), mfcc[0], 9);
    }

    [Fact]
    public void A_second_chunk_allocates_nothing()
    {
        var (options, mfccCount, samples, _, _) = Load("white_noise");
        var extractor = new AudioFeatureExtractor(options, mfccCount);
        var spectrum = new double[extractor.SpectrumBands];
        var mfcc = new double[extractor.MfccCount];
        extractor.Compute(samples, spectrum, mfcc);
        // A gen-2 collection between two chunks may trim ArrayPool's per-thread cache, so one chunk can pay a rent;
        // an allocation made on every chunk shows in each of three.
        var fewest = long.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            extractor.Compute(samples, spectrum, mfcc);
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, fewest);
    }

    private static void AssertClose(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var allowed = Tolerance * Math.Max(Math.Abs(expected[i]), 1.0);
            Assert.True(Math.Abs(expected[i] - actual[i]) <= allowed, $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }

    private static (AudioFeatureOptions Options, int MfccCount, float[] Samples, double[] Spectrum, double[] Mfcc) Load(string signal)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "TestData", "dsp");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, signal + ".json")));
        var p = doc.RootElement.GetProperty("parameters");
        var options = new AudioFeatureOptions
        {
            SampleRate = p.GetProperty("sample_rate").GetInt32(),
            FftSize = p.GetProperty("n_fft").GetInt32(),
            HopLength = p.GetProperty("hop_length").GetInt32(),
            SpectrumBands = p.GetProperty("spectrum_bands").GetInt32(),
            SpectrumMinFrequency = p.GetProperty("spectrum_f_min").GetDouble(),
            MfccMelBands = p.GetProperty("mfcc_mel_bands").GetInt32(),
            MfccMinFrequency = p.GetProperty("mfcc_f_min").GetDouble(),
            MfccMaxFrequency = p.GetProperty("mfcc_f_max").GetDouble(),
            TopDb = p.GetProperty("top_db").GetDouble(),
        };
        var bytes = File.ReadAllBytes(Path.Combine(folder, signal + ".f32"));
        var samples = MemoryMarshal.Cast<byte, float>(bytes).ToArray();
        Assert.Equal(doc.RootElement.GetProperty("samples").GetInt32(), samples.Length);
        return (options, p.GetProperty("mfcc_count").GetInt32(), samples,
            [.. doc.RootElement.GetProperty("spectrum_db").EnumerateArray().Select(e => e.GetDouble())],
            [.. doc.RootElement.GetProperty("mfcc").EnumerateArray().Select(e => e.GetDouble())]);
    }
}
