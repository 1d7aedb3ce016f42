namespace ThermalPlant.Simulation;

/// <summary>What a simulated MAX31855 converts: a temperature, or an open circuit.</summary>
/// <param name="Celsius">The hot-junction temperature at the converter's 0.25 degC resolution; 0 when open.</param>
/// <param name="Open">The thermocouple is open (the converter's fault bit).</param>
public readonly record struct ThermocoupleSample(double Celsius, bool Open);
