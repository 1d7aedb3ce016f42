namespace ThermalPlant.PowerToGas.Calibration;

/// <summary>A converted set point and how it was found.</summary>
/// <param name="Current">The current, amperes.</param>
/// <param name="Range">Which rule of the conversion applied (clamped values are flagged, not hidden).</param>
public readonly record struct CalibrationResult(int Current, CalibrationRange Range);

/// <summary>Which rule of <see cref="CalibrationTable.Convert"/> gave the current.</summary>
public enum CalibrationRange
{
    /// <summary>Interpolated between two rows.</summary>
    Interpolated,
    /// <summary>The flow was at or above the table's top: clamped to the maximum current.</summary>
    AboveTable,
    /// <summary>The flow was below the table's bottom: 0 A.</summary>
    BelowTable,
    /// <summary>Interpolated below the minimum current: 0 A.</summary>
    BelowMinimumCurrent,
}
