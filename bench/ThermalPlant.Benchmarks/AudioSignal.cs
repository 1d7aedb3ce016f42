namespace ThermalPlant.Benchmarks;

/// <summary>Deterministic test audio for the benchmarks: shaft harmonics with noise, like the simulated plant.</summary>
internal static class AudioSignal
{
    public static float[] OneSecondOfMachineNoise(int sampleRate)
    {
        var random = new Random(42);
        var samples = new float[sampleRate];
        for (var i = 0; i < samples.Length; i++)
        {
            var t = (double)i / sampleRate;
            var tone = (0.2 * Math.Sin(2 * Math.PI * 25 * t)) + (0.1 * Math.Sin(2 * Math.PI * 200 * t)) + (0.05 * Math.Sin(2 * Math.PI * 1234 * t));
            samples[i] = (float)(tone + (0.05 * ((random.NextDouble() * 2) - 1)));
        }
        return samples;
    }
}
