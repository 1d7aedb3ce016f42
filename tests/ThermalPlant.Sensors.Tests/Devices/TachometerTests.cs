using Microsoft.Extensions.Time.Testing;
using ThermalPlant.Sensors.Devices;

namespace ThermalPlant.Sensors.Tests.Devices;

public sealed class TachometerTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Rpm_is_pulses_per_revolution_over_the_window()
    {
        var meter = new PulseRateMeter(new TachometerSettings { PulsesPerRevolution = 1, WindowSeconds = 1 }, _time);
        // 25 pulses per second: 1,500 rpm.
        for (var i = 0; i < 100; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(40));
            meter.OnPulse();
        }
        Assert.Equal(1500, meter.ReadRpm());
    }

    [Fact]
    public void Eight_edges_per_revolution_as_the_original_reflective_sensor()
    {
        var meter = new PulseRateMeter(new TachometerSettings { PulsesPerRevolution = 8, WindowSeconds = 0.5 }, _time);
        // 400 edges per second = 50 rev/s = 3,000 rpm.
        for (var i = 0; i < 400; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(2.5));
            meter.OnPulse();
        }
        Assert.Equal(3000, meter.ReadRpm());
    }

    [Fact]
    public void Rpm_falls_to_zero_after_the_timeout()
    {
        var meter = new PulseRateMeter(new TachometerSettings { WindowSeconds = 1, TimeoutSeconds = 2 }, _time);
        for (var i = 0; i < 10; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            meter.OnPulse();
        }
        _time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Equal(0, meter.ReadRpm());
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, meter.ReadRpm());
        Assert.Equal(0, new PulseRateMeter(new TachometerSettings(), _time).ReadRpm());
    }

    [Fact]
    public void Pulses_older_than_the_window_no_longer_count()
    {
        var meter = new PulseRateMeter(new TachometerSettings { WindowSeconds = 1, TimeoutSeconds = 5 }, _time);
        for (var i = 0; i < 50; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(20));
            meter.OnPulse();
        }
        _time.Advance(TimeSpan.FromMilliseconds(500));
        // Only the pulses of the last 0.5 s of pulsing are still within the 1 s window: 25 pulses.
        Assert.Equal(25 * 60, meter.ReadRpm());
    }

    [Fact]
    public void Settings_validation_names_the_key()
    {
        var errors = new List<string>();
        new TachometerSettings { PulsesPerRevolution = 0, WindowSeconds = 5, TimeoutSeconds = 1 }.Validate("Sensors:Hardware:Tachometer:", errors);
        Assert.Contains(errors, e => e.StartsWith("Sensors:Hardware:Tachometer:PulsesPerRevolution", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Sensors:Hardware:Tachometer:TimeoutSeconds", StringComparison.Ordinal));
    }
}
