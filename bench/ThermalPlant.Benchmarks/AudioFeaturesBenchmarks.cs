using BenchmarkDotNet.Attributes;
using ThermalPlant.Simulation.Dsp;

namespace ThermalPlant.Benchmarks;

/// <summary>Spectrum + MFCC of one second of audio at the default parameters (44.1 kHz, n_fft 8192, hop 1024).</summary>
[MemoryDiagnoser]
public class AudioFeaturesBenchmarks
{
    private readonly AudioFeatureExtractor _extractor = new(new AudioFeatureOptions(), 50);
    private readonly float[] _second = AudioSignal.OneSecondOfMachineNoise(44100);
    private readonly double[] _spectrum = new double[50];
    private readonly double[] _mfcc = new double[50];

    [Benchmark]
    public void SpectrumAndMfccOfOneSecond() => _extractor.Compute(_second, _spectrum, _mfcc);
}
