namespace ThermalPlant.Sensors.Devices;

/// <summary>A thermocouple converter (MAX31855, MAX6675) or its simulated twin.</summary>
public interface IThermocouple
{
    /// <summary>Reads one conversion. Throws <see cref="IOException"/> when the bus cannot be read.</summary>
    ThermocoupleReading Read();
}
