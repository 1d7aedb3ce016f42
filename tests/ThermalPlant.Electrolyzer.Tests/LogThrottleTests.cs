using Microsoft.Extensions.Time.Testing;
using ThermalPlant.Electrolyzer.Simulation;
using ThermalPlant.Modbus.Server;

namespace ThermalPlant.Electrolyzer.Tests;

/// <summary>The drop log's throttle: one line per reason and window, and the lines between counted, not lost.</summary>
public sealed class LogThrottleTests
{
    [Fact]
    public void A_flood_gives_one_line_per_reason_and_window_and_the_next_line_counts_what_was_not_logged()
    {
        var time = new FakeTimeProvider();
        var throttle = new LogThrottle<ModbusDropReason>(TimeSpan.FromSeconds(10), time);

        Assert.True(throttle.ShouldLog(ModbusDropReason.PerAddressLimit, out var first));
        Assert.Equal(0, first);
        var logged = 0;
        for (var i = 0; i < 1000; i++)
        {
            if (throttle.ShouldLog(ModbusDropReason.PerAddressLimit, out _)) logged++;
            time.Advance(TimeSpan.FromMilliseconds(5));
        }
        Assert.Equal(0, logged);
        // Another reason has its own window.
        Assert.True(throttle.ShouldLog(ModbusDropReason.Evicted, out _));

        time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(throttle.ShouldLog(ModbusDropReason.PerAddressLimit, out var notLogged));
        Assert.Equal(1000, notLogged);
        Assert.False(throttle.ShouldLog(ModbusDropReason.PerAddressLimit, out _));
    }
}
