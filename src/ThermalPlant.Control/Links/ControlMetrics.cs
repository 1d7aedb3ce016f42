using System.Diagnostics.Metrics;

namespace ThermalPlant.Control.Links;

/// <summary>The control links' instruments; hosts export the meter <see cref="MeterName"/> to Prometheus.</summary>
public static class ControlMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "ThermalPlant.Control";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Set point writes, tagged by link and result (written, dry_run, failed).</summary>
    internal static readonly Counter<long> Writes = Meter.CreateCounter<long>("thermalplant_control_writes_total", description: "Set point writes of control links, by result");

    /// <summary>Cycles in which the enable condition blocked the write.</summary>
    internal static readonly Counter<long> InterlockBlocks = Meter.CreateCounter<long>("thermalplant_control_interlock_blocks_total", description: "Control cycles blocked by the enable condition");

    /// <summary>Cycles without a usable source value.</summary>
    internal static readonly Counter<long> SourceLost = Meter.CreateCounter<long>("thermalplant_control_source_lost_total", description: "Control cycles whose source was Bad, stale or unreachable");

    /// <summary>Writes whose read-back differed.</summary>
    internal static readonly Counter<long> ReadBackMismatches = Meter.CreateCounter<long>("thermalplant_control_readback_mismatches_total", description: "Set point writes whose read-back differed from the value written");
}
