using System.Numerics;
using ThermalPlant.Simulation.Dsp;

namespace ThermalPlant.Sensors.Tests.Dsp;

public sealed class DspPartsTests
{
    [Theory]
    [InlineData(32, true)]
    [InlineData(64, true)]
    [InlineData(128, true)]
    [InlineData(1024, true)]
    [InlineData(32, false)]
    [InlineData(128, false)]
    [InlineData(1024, false)]
    public void Real_fft_power_matches_a_naive_dft(int n, bool vectorLoad)
    {
        var random = new Random(n);
        var frame = Enumerable.Range(0, n).Select(_ => random.NextDouble() - 0.5).ToArray();
        var window = Enumerable.Range(0, n).Select(i => 0.5 + (0.5 * Math.Sin(i))).ToArray();
        var power = new double[(n / 2) + 1];
        new RealFft(n, window, vectorLoad).PowerSpectrum(frame, power);
        for (var k = 0; k <= n / 2; k++)
        {
            var sum = Complex.Zero;
            for (var t = 0; t < n; t++)
            {
                sum += frame[t] * window[t] * Complex.Exp(new Complex(0, -2 * Math.PI * k * t / n));
            }
            var expected = sum.Magnitude * sum.Magnitude;
            Assert.True(Math.Abs(expected - power[k]) <= 1e-9 * Math.Max(1, expected), $"bin {k}: {expected} vs {power[k]}");
        }
    }

    [Fact]
    public void Mel_filters_are_triangles_peaking_at_one_between_their_edges()
    {
        const int bins = 4097, bands = 50, sampleRate = 44100;
        var bank = new MelFilterBank(bins, 0, 22050, bands, sampleRate);
        var band = new double[bands];
        var response = new double[bands];
        var impulse = new double[bins];
        for (var k = 0; k < bins; k++)
        {
            impulse[k] = 1;
            bank.Apply(impulse, band);
            impulse[k] = 0;
            for (var m = 0; m < bands; m++) response[m] = Math.Max(response[m], band[m]);
        }
        // Every filter reaches close to 1 at some bin (bins are 5.4 Hz apart; the narrowest filter is ~60 Hz wide).
        Assert.All(response, peak => Assert.InRange(peak, 0.8, 1.0));
    }

    [Theory]
    [InlineData(0.0, 50)]
    [InlineData(1.0, 128)]
    public void Mel_bank_matches_the_dense_filter_matrix(double minHz, int bands)
    {
        const int bins = 4097, sampleRate = 44100;
        var bank = new MelFilterBank(bins, minHz, 22050, bands, sampleRate);
        var random = new Random(bands);
        var power = Enumerable.Range(0, bins).Select(_ => random.NextDouble()).ToArray();
        var actual = new double[bands];
        bank.Apply(power, actual);

        // torchaudio's melscale_fbanks written out densely: every filter weighs every bin.
        var minMel = 2595.0 * Math.Log10(1.0 + (minHz / 700.0));
        var maxMel = 2595.0 * Math.Log10(1.0 + (22050 / 700.0));
        var edges = Enumerable.Range(0, bands + 2).Select(i => 700.0 * (Math.Pow(10.0, (minMel + ((maxMel - minMel) * i / (bands + 1))) / 2595.0) - 1.0)).ToArray();
        for (var m = 0; m < bands; m++)
        {
            double expected = 0;
            for (var k = 0; k < bins; k++)
            {
                var hz = 22050.0 * k / (bins - 1);
                var weight = Math.Max(0.0, Math.Min((hz - edges[m]) / (edges[m + 1] - edges[m]), (edges[m + 2] - hz) / (edges[m + 2] - edges[m + 1])));
                expected += weight * power[k];
            }
            Assert.True(Math.Abs(expected - actual[m]) <= 1e-12 * expected, $"band {m}: {expected} vs {actual[m]}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4097)]
    [InlineData(53248)]
    public void Cache_aligned_arrays_start_on_a_64_byte_boundary(int length)
    {
        var (array, start) = CacheAligned.Allocate(length);
        Assert.True(array.Length - start >= length);
        var handle = System.Runtime.InteropServices.GCHandle.Alloc(array, System.Runtime.InteropServices.GCHandleType.Pinned);
        try
        {
            Assert.Equal(0, (handle.AddrOfPinnedObject() + (start * sizeof(double))) % 64);
        }
        finally
        {
            handle.Free();
        }
    }

    [Fact]
    public void Ortho_dct_preserves_energy()
    {
        const int n = 128;
        var dct = new DctII(n, n);
        var random = new Random(3);
        var input = Enumerable.Range(0, n).Select(_ => random.NextDouble()).ToArray();
        var output = new double[n];
        dct.Apply(input, output);
        Assert.Equal(input.Sum(x => x * x), output.Sum(x => x * x), 9);
        Assert.Equal(input.Sum() / Math.Sqrt(n), output[0], 9);
    }

    [Fact]
    public void Options_validation_names_each_bad_key()
    {
        var errors = new List<string>();
        new AudioFeatureOptions { FftSize = 1000, HopLength = 0, MfccMinFrequency = 30000 }.Validate("Sensors:Audio:Features:", errors);
        Assert.Contains(errors, e => e.StartsWith("Sensors:Audio:Features:FftSize", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Sensors:Audio:Features:HopLength", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Sensors:Audio:Features:MfccMinFrequency", StringComparison.Ordinal));
    }

    [Fact]
    public void Too_few_samples_are_refused()
    {
        var extractor = new AudioFeatureExtractor(new AudioFeatureOptions(), 50);
        Assert.Throws<ArgumentException>(() => extractor.Compute(new float[4096], new double[50], new double[50]));
    }

    [Theory]
    [InlineData(1.0, -3.0103)]
    [InlineData(0.1, -23.0103)]
    public void Sine_level_in_dbfs(double amplitude, double expected)
    {
        var samples = Enumerable.Range(0, 44100).Select(i => (float)(amplitude * Math.Sin(2 * Math.PI * 1000 * i / 44100.0))).ToArray();
        Assert.Equal(expected, SoundLevel.RmsDbfs(samples), 3);
    }

    [Fact]
    public void Silence_level_is_the_floor() => Assert.Equal(SoundLevel.FloorDbfs, SoundLevel.RmsDbfs(new float[100]));
}
