namespace ThermalPlant.Sensors.Devices;

/// <summary>
/// Shaft speed from pulse times: RPM = pulses in the window (now - window, now] / pulses per revolution * 60 / window seconds,
/// and 0 once no pulse came within the timeout. Pulse times sit in a fixed ring (no allocation per pulse),
/// written by the GPIO interrupt thread and read by the sampler under one lock.
/// </summary>
public sealed class PulseRateMeter
{
    // 20,000 rpm with 8 pulses per revolution over a 1 s window is 2,667 pulses; the ring holds more.
    private const int Capacity = 8192;

    private readonly Lock _lock = new();
    private readonly long[] _times = new long[Capacity];
    private readonly TimeProvider _time;
    private readonly double _pulsesPerRevolution;
    private readonly long _window;
    private readonly long _timeout;
    private readonly double _windowSeconds;
    private int _next;
    private int _count;

    /// <summary>Creates the meter with its timing from <paramref name="settings"/>.</summary>
    public PulseRateMeter(TachometerSettings settings, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _time = time;
        _pulsesPerRevolution = settings.PulsesPerRevolution;
        _windowSeconds = settings.WindowSeconds;
        _window = (long)(settings.WindowSeconds * time.TimestampFrequency);
        _timeout = (long)(settings.TimeoutSeconds * time.TimestampFrequency);
    }

    /// <summary>Records one pulse now (called from the interrupt callback).</summary>
    public void OnPulse()
    {
        var now = _time.GetTimestamp();
        lock (_lock)
        {
            _times[_next] = now;
            _next = (_next + 1) % Capacity;
            if (_count < Capacity) _count++;
        }
    }

    /// <summary>The speed over the window ending now.</summary>
    public double ReadRpm()
    {
        var now = _time.GetTimestamp();
        lock (_lock)
        {
            if (_count == 0) return 0;
            var last = _times[(_next - 1 + Capacity) % Capacity];
            if (now - last > _timeout) return 0;
            var inWindow = 0;
            for (var i = 1; i <= _count; i++)
            {
                if (now - _times[(_next - i + Capacity) % Capacity] >= _window) break;
                inWindow++;
            }
            return inWindow / _pulsesPerRevolution * 60 / _windowSeconds;
        }
    }
}
