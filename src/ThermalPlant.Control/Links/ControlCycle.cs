using ThermalPlant.Control.Sources;

namespace ThermalPlant.Control.Links;

/// <summary>What one cycle of a control link did.</summary>
/// <param name="Outcome">The cycle's result.</param>
/// <param name="Reading">What the source gave (after the staleness check).</param>
/// <param name="Conversion">The converted set point, when the source was usable.</param>
/// <param name="SetPoint">The set point written (or that would be written), amperes, after limits and the rate limit.</param>
/// <param name="Register">The raw register value written.</param>
/// <param name="ReadBack">The register value read back after the write.</param>
/// <param name="Problem">Why nothing was written, when nothing was.</param>
public sealed record ControlCycle(
    ControlOutcome Outcome,
    SourceReading Reading,
    SetPointConversion? Conversion,
    double? SetPoint,
    ushort? Register,
    ushort? ReadBack,
    string? Problem);

/// <summary>The result of a control cycle.</summary>
public enum ControlOutcome
{
    /// <summary>The set point was written and read back.</summary>
    Written,
    /// <summary>Dry run: the set point was computed and logged, nothing was written.</summary>
    DryRun,
    /// <summary>The source was lost and the link holds: nothing was written.</summary>
    Held,
    /// <summary>The enable condition was clear: nothing was written.</summary>
    Interlocked,
    /// <summary>The device did not answer (or refused): nothing was written.</summary>
    DeviceUnavailable,
}
