namespace ThermalPlant.PowerToGas.Calibration;

/// <summary>One row of a calibration table.</summary>
/// <param name="Current">Stack current, amperes.</param>
/// <param name="Flow">Hydrogen flow at that current, NL/min.</param>
public readonly record struct CalibrationPoint(int Current, decimal Flow);
