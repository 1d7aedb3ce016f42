using ThermalPlant.Sensors.Devices;

namespace ThermalPlant.Sensors.Simulation;

/// <summary>
/// The microphone next to the shaft: harmonics of the shaft frequency, the fan's blade-pass tone, bearing
/// wear tones when injected, and broadband noise, paced in real time by the <see cref="TimeProvider"/>.
/// Because every tone follows the shaft speed, the spectrum and MFCCs move with RPM.
/// </summary>
internal sealed class SimulatedAudioSource : IAudioSource
{
    private const int ShaftHarmonics = 6;
    private const double TwoPi = 2 * Math.PI;

    private readonly PlantModel _plant;
    private readonly TimeProvider _time;
    private readonly Random _noise;
    private readonly DateTimeOffset _start;
    private readonly double[] _harmonicPhases = new double[ShaftHarmonics];
    private double _bladePhase;
    private double[] _wearPhases = [];
    private long _produced;

    public SimulatedAudioSource(PlantModel plant, TimeProvider time, int sampleRate)
    {
        _plant = plant;
        _time = time;
        SampleRate = sampleRate;
        _noise = new Random(plant.Options.Seed + 1);
        _start = time.GetUtcNow();
    }

    public int SampleRate { get; }

    public async ValueTask<int> ReadAsync(Memory<float> destination, CancellationToken cancellationToken)
    {
        // A microphone delivers samples no faster than they happen: wait until the block is due.
        var dueAt = _start + TimeSpan.FromSeconds((double)(_produced + destination.Length) / SampleRate);
        var wait = dueAt - _time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, _time, cancellationToken);
        }
        Synthesize(destination.Span, _plant.Sample());
        _produced += destination.Length;
        return destination.Length;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void Synthesize(Span<float> block, PlantState state)
    {
        var shaftHz = state.Rpm / 60;
        var step = TwoPi * shaftHz / SampleRate;
        var blades = _plant.Options.BladeCount;
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
            _bladePhase = Wrap(_bladePhase + (step * blades));
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
