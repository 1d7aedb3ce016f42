using System.Globalization;

namespace ThermalPlant.Benchmarks.Load;

/// <summary>CPU time of another process, read from /proc so that the measuring client's own work is not counted.</summary>
internal static class ProcessCpu
{
    /// <summary>CPU seconds the process has used: utime + stime, fields 14 and 15 of /proc/PID/stat, in clock ticks.</summary>
    public static double Seconds(int pid, int clockTicks)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) is in parentheses and may hold spaces; fields after it are plain.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / (double)clockTicks;
    }
}
