namespace ThermalPlant.Sensors.Devices;

/// <summary>A voltage measurement (ADS1115 behind a divider) or its simulated twin.</summary>
public interface IVoltmeter
{
    /// <summary>Reads the measured voltage in volts, after the divider ratio. Throws <see cref="IOException"/> when the bus cannot be read.</summary>
    double ReadVolts();
}
