namespace ThermalPlant.Sensors.Devices;

/// <summary>A shaft speed measurement (Hall-effect or reflective pulse sensor) or its simulated twin.</summary>
public interface ITachometer
{
    /// <summary>The shaft speed in revolutions per minute over the configured window; 0 when pulses have stopped.</summary>
    double ReadRpm();
}
