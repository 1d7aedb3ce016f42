using System.Diagnostics;

namespace ThermalPlant.Benchmarks.Load;

/// <summary>
/// What the drivers measuring a server's CPU in another process share: its URL and PID and the common options
/// (<c>URL --pid PID [--clients N] [--seconds N] [--settle N] [--publishing-interval MS] [--clock-ticks N]</c>), and the
/// server's CPU share over a window of wall time, read from /proc so that the measuring client's own work is not counted.
/// </summary>
internal sealed record CpuWindow(string Url, int Pid, int Clients, double Seconds, double Settle, double PublishingMs, int ClockTicks)
{
    /// <summary>The options in <paramref name="args"/>; null when the URL or the PID is missing.</summary>
    public static CpuWindow? Parse(string[] args, double publishingMs)
    {
        var pid = DriverArgs.Int(args, "--pid", 0);
        if (args.Length < 1 || args[0].StartsWith("--", StringComparison.Ordinal) || pid <= 0) return null;
        return new CpuWindow(
            args[0],
            pid,
            DriverArgs.Int(args, "--clients", 10),
            DriverArgs.Double(args, "--seconds", 10),
            DriverArgs.Double(args, "--settle", 3),
            DriverArgs.Double(args, "--publishing-interval", publishingMs),
            DriverArgs.Int(args, "--clock-ticks", 100));
    }

    /// <summary>The server's CPU over the next <see cref="Seconds"/> of wall time, this process idle meanwhile.</summary>
    public async Task<CpuShare> MeasureAsync()
    {
        var before = ProcessCpu.Seconds(Pid, ClockTicks);
        var wall = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(Seconds));
        return new CpuShare(ProcessCpu.Seconds(Pid, ClockTicks) - before, wall.Elapsed.TotalSeconds);
    }
}

/// <summary>CPU seconds a process used over <see cref="WallSeconds"/> of wall time.</summary>
internal readonly record struct CpuShare(double CpuSeconds, double WallSeconds)
{
    /// <summary>The share as % of one core.</summary>
    public double Percent => CpuSeconds * 100 / WallSeconds;
}
