using System.Diagnostics;
using System.Globalization;
using ThermalPlant.Simulation.Dsp;

namespace ThermalPlant.Benchmarks.Load;

/// <summary>
/// Spectrum + MFCC against real time on one core: analyses one second of audio in a loop on one thread for
/// the given time and prints seconds of audio analysed per second of CPU. Usage: <c>audio-realtime [--seconds 5]</c>.
/// </summary>
internal static class AudioRealtimeDriver
{
    public static int Run(string[] args)
    {
        var at = Array.IndexOf(args, "--seconds");
        var seconds = at >= 0 && at + 1 < args.Length ? double.Parse(args[at + 1], CultureInfo.InvariantCulture) : 5;
        var options = new AudioFeatureOptions();
        var extractor = new AudioFeatureExtractor(options, 50);
        var audio = AudioSignal.OneSecondOfMachineNoise(options.SampleRate);
        var spectrum = new double[extractor.SpectrumBands];
        var mfcc = new double[extractor.MfccCount];
        for (var i = 0; i < 20; i++) extractor.Compute(audio, spectrum, mfcc);

        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        var chunks = 0;
        while (wall.Elapsed.TotalSeconds < seconds)
        {
            extractor.Compute(audio, spectrum, mfcc);
            chunks++;
        }
        var elapsed = wall.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"audio features: {chunks / elapsed:F1} x real time (wall), {chunks / cpu:F1} x real time (process CPU), {1000 * elapsed / chunks:F3} ms per second of audio (goal >= 1000 x on one core)"));
        return 0;
    }
}
