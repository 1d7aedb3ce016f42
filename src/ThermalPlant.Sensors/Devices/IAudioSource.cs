namespace ThermalPlant.Sensors.Devices;

/// <summary>A mono audio stream: an ALSA capture device, a WAV file replay, or the simulated plant.</summary>
public interface IAudioSource : IAsyncDisposable
{
    /// <summary>Samples per second.</summary>
    int SampleRate { get; }

    /// <summary>Fills <paramref name="destination"/> with samples in [-1, 1], waiting for them in real time; returns how many were written (0 at the end of a finite source).</summary>
    ValueTask<int> ReadAsync(Memory<float> destination, CancellationToken cancellationToken);
}
