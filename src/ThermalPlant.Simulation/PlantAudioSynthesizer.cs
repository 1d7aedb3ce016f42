namespace ThermalPlant.Simulation;

/// <summary>
/// The sound next to the shaft: harmonics of the shaft frequency, the fan's blade-pass tone, bearing wear tones
/// when injected, and broadband noise. Every tone follows the shaft speed, so the spectrum and MFCCs move with rpm.
/// Phases carry over from block to block; not thread-safe.
/// </summary>
public sealed class PlantAudioSynthesizer
{
    private const int ShaftHarmonics = 6;
    private const double TwoPi = 2 * Math.PI;

    private readonly double[] _harmonicPhases = new double[ShaftHarmonics];
    private readonly Random _noise;
    private readonly int _bladeCount;
    private double _bladePhase;
    private double[] _wearPhases = [];

    /// <summary>A synthesizer at <paramref name="sampleRate"/> for the plant <paramref name="options"/> describe.</summary>
    public PlantAudioSynthesizer(SimulationOptions options, int sampleRate)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRate, 1);
        SampleRate = sampleRate;
        _bladeCount = options.BladeCount;
        _noise = new Random(options.Seed + 1);
    }

    /// <summary>Samples per second.</summary>
    public int SampleRate { get; }

    /// <summary>Fills <paramref name="block"/> with the sound of the plant in <paramref name="state"/>, in [-1, 1].</summary>
    public void Synthesize(Span<float> block, PlantState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var shaftHz = state.Rpm / 60;
        var step = TwoPi * shaftHz / SampleRate;
        if (_wearPhases.Length != state.Wear.Count)
        {
            _wearPhases = new double[state.Wear.Count];
        }
        for (var n = 0; n < block.Length; n++)
        {
            double sample = 0;
            for (var k = 0; k < ShaftHarmonics; k++)
            {
                _harmonicPhases[k] = Wrap(_harmonicPhases[k] + (step * (k + 1)));
                sample += 0.08 / (k + 1) * Math.Sin(_harmonicPhases[k]);
            }
            _bladePhase = Wrap(_bladePhase + (step * _bladeCount));
            sample += (0.1 * Math.Sin(_bladePhase)) + (0.04 * Math.Sin(2 * _bladePhase));
            for (var w = 0; w < _wearPhases.Length; w++)
            {
                _wearPhases[w] = Wrap(_wearPhases[w] + (step * state.Wear[w].Order));
                sample += state.Wear[w].Amplitude * Math.Sin(_wearPhases[w]);
            }
            sample += 0.02 * ((_noise.NextDouble() * 2) - 1);
            block[n] = (float)Math.Clamp(sample, -1, 1);
        }
    }

    private static double Wrap(double phase) => phase >= TwoPi ? phase - TwoPi : phase;
}
