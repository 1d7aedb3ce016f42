namespace ThermalPlant.Simulation;

/// <summary>
/// The sound next to the shaft: harmonics of the shaft frequency, the fan's blade-pass tone, bearing wear tones
/// when injected, and broadband noise. Every tone follows the shaft speed, so the spectrum and MFCCs move with rpm.
/// Phases carry over from block to block; not thread-safe.
/// </summary>
public sealed class PlantAudioSynthesizer
{
    private const int ShaftHarmonics = 6;

    // Each tone is a unit phasor (cos, sin) turned by its step each sample: two multiplications instead of a sine.
    private readonly double[] _harmonicCos = new double[ShaftHarmonics];
    private readonly double[] _harmonicSin = new double[ShaftHarmonics];
    private readonly Random _noise;
    private readonly int _bladeCount;
    private double _bladeCos = 1, _bladeSin;
    private double[] _wearCos = [];
    private double[] _wearSin = [];

    /// <summary>A synthesizer at <paramref name="sampleRate"/> for the plant <paramref name="options"/> describe.</summary>
    public PlantAudioSynthesizer(SimulationOptions options, int sampleRate)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRate, 1);
        SampleRate = sampleRate;
        _bladeCount = options.BladeCount;
        _noise = new Random(options.Seed + 1);
        _harmonicCos.AsSpan().Fill(1);
    }

    /// <summary>Samples per second.</summary>
    public int SampleRate { get; }

    /// <summary>Fills <paramref name="block"/> with the sound of the plant in <paramref name="state"/>, in [-1, 1].</summary>
    public void Synthesize(Span<float> block, PlantState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var step = 2 * Math.PI * state.Rpm / 60 / SampleRate;
        if (_wearCos.Length != state.Wear.Count)
        {
            _wearCos = new double[state.Wear.Count];
            _wearSin = new double[state.Wear.Count];
            _wearCos.AsSpan().Fill(1);
        }
        Span<double> harmonicStepCos = stackalloc double[ShaftHarmonics];
        Span<double> harmonicStepSin = stackalloc double[ShaftHarmonics];
        for (var k = 0; k < ShaftHarmonics; k++)
        {
            harmonicStepCos[k] = Math.Cos(step * (k + 1));
            harmonicStepSin[k] = Math.Sin(step * (k + 1));
        }
        var bladeStepCos = Math.Cos(step * _bladeCount);
        var bladeStepSin = Math.Sin(step * _bladeCount);
        Span<double> wearStepCos = stackalloc double[_wearCos.Length];
        Span<double> wearStepSin = stackalloc double[_wearCos.Length];
        for (var w = 0; w < _wearCos.Length; w++)
        {
            wearStepCos[w] = Math.Cos(step * state.Wear[w].Order);
            wearStepSin[w] = Math.Sin(step * state.Wear[w].Order);
        }
        for (var n = 0; n < block.Length; n++)
        {
            double sample = 0;
            for (var k = 0; k < ShaftHarmonics; k++)
            {
                Turn(ref _harmonicCos[k], ref _harmonicSin[k], harmonicStepCos[k], harmonicStepSin[k]);
                sample += 0.08 / (k + 1) * _harmonicSin[k];
            }
            Turn(ref _bladeCos, ref _bladeSin, bladeStepCos, bladeStepSin);
            // sin(2x) = 2 sin(x) cos(x): the blade tone's second harmonic.
            sample += (0.1 * _bladeSin) + (0.04 * 2 * _bladeSin * _bladeCos);
            for (var w = 0; w < _wearCos.Length; w++)
            {
                Turn(ref _wearCos[w], ref _wearSin[w], wearStepCos[w], wearStepSin[w]);
                sample += state.Wear[w].Amplitude * _wearSin[w];
            }
            sample += 0.02 * ((_noise.NextDouble() * 2) - 1);
            block[n] = (float)Math.Clamp(sample, -1, 1);
        }
        // Rounding would slowly change the phasors' length: put them back on the unit circle once a block.
        for (var k = 0; k < ShaftHarmonics; k++) Normalize(ref _harmonicCos[k], ref _harmonicSin[k]);
        Normalize(ref _bladeCos, ref _bladeSin);
        for (var w = 0; w < _wearCos.Length; w++) Normalize(ref _wearCos[w], ref _wearSin[w]);
    }

    private static void Turn(ref double cos, ref double sin, double stepCos, double stepSin)
    {
        var c = (cos * stepCos) - (sin * stepSin);
        sin = (sin * stepCos) + (cos * stepSin);
        cos = c;
    }

    private static void Normalize(ref double cos, ref double sin)
    {
        var length = Math.Sqrt((cos * cos) + (sin * sin));
        cos /= length;
        sin /= length;
    }
}
