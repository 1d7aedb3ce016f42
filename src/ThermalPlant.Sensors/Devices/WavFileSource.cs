namespace ThermalPlant.Sensors.Devices;

/// <summary>Replays a WAV file as the microphone, in real time (paced by the <see cref="TimeProvider"/>) or as fast as read; optionally looping.</summary>
public sealed class WavFileSource : IAudioSource
{
    private readonly WavFile _file;
    private readonly TimeProvider _time;
    private readonly bool _loop;
    private readonly bool _paced;
    private readonly DateTimeOffset _start;
    private long _produced;
    private int _position;

    /// <summary>Replays <paramref name="file"/>.</summary>
    public WavFileSource(WavFile file, TimeProvider time, bool loop, bool paced = true)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.Samples.Length == 0) throw new InvalidDataException("the WAV file holds no samples");
        _file = file;
        _time = time;
        _loop = loop;
        _paced = paced;
        _start = time.GetUtcNow();
    }

    /// <inheritdoc />
    public int SampleRate => _file.SampleRate;

    /// <inheritdoc />
    public async ValueTask<int> ReadAsync(Memory<float> destination, CancellationToken cancellationToken)
    {
        var written = 0;
        while (written < destination.Length)
        {
            if (_position == _file.Samples.Length)
            {
                if (!_loop) break;
                _position = 0;
            }
            var count = Math.Min(destination.Length - written, _file.Samples.Length - _position);
            _file.Samples.AsSpan(_position, count).CopyTo(destination.Span[written..]);
            _position += count;
            written += count;
        }
        if (_paced && written > 0)
        {
            var due = _start + TimeSpan.FromSeconds((double)(_produced + written) / SampleRate) - _time.GetUtcNow();
            if (due > TimeSpan.Zero) await Task.Delay(due, _time, cancellationToken);
        }
        _produced += written;
        return written;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
