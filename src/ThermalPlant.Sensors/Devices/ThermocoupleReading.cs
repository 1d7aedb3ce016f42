namespace ThermalPlant.Sensors.Devices;

/// <summary>One thermocouple conversion.</summary>
/// <param name="Celsius">Hot-junction temperature; meaningless when <paramref name="Fault"/> is not <see cref="ThermocoupleFault.None"/>.</param>
/// <param name="InternalCelsius">Cold-junction (chip) temperature, when the converter reports it.</param>
/// <param name="Fault">The fault bits the converter raised.</param>
public readonly record struct ThermocoupleReading(double Celsius, double? InternalCelsius, ThermocoupleFault Fault);
