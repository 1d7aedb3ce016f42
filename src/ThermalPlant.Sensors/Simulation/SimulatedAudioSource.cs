using ThermalPlant.Sensors.Devices;
using ThermalPlant.Simulation;

namespace ThermalPlant.Sensors.Simulation;

/// <summary>The microphone next to the shaft: the plant's synthesized sound, paced in real time by the <see cref="TimeProvider"/>.</summary>
internal sealed class SimulatedAudioSource : IAudioSource
{
    private readonly PlantModel _plant;
    private readonly TimeProvider _time;
    private readonly PlantAudioSynthesizer _synthesizer;
    private readonly DateTimeOffset _start;
    private long _produced;

    public SimulatedAudioSource(PlantModel plant, TimeProvider time, int sampleRate)
    {
        _plant = plant;
        _time = time;
        _synthesizer = new PlantAudioSynthesizer(plant.Options, sampleRate);
        _start = time.GetUtcNow();
    }

    public int SampleRate => _synthesizer.SampleRate;

    public async ValueTask<int> ReadAsync(Memory<float> destination, CancellationToken cancellationToken)
    {
        // A microphone delivers samples no faster than they happen: wait until the block is due.
        var dueAt = _start + TimeSpan.FromSeconds((double)(_produced + destination.Length) / SampleRate);
        var wait = dueAt - _time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, _time, cancellationToken);
        }
        _synthesizer.Synthesize(destination.Span, _plant.Sample());
        _produced += destination.Length;
        return destination.Length;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
