namespace ThermalPlant.Simulation.Dsp;

/// <summary>The HTK mel scale, as torchaudio's <c>mel_scale="htk"</c>.</summary>
internal static class MelScale
{
    public static double FromHz(double hz) => 2595.0 * Math.Log10(1.0 + (hz / 700.0));

    public static double ToHz(double mel) => 700.0 * (Math.Pow(10.0, mel / 2595.0) - 1.0);
}
