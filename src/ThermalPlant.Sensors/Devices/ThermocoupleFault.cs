namespace ThermalPlant.Sensors.Devices;

/// <summary>Fault bits of a thermocouple converter.</summary>
[Flags]
public enum ThermocoupleFault
{
    /// <summary>No fault.</summary>
    None = 0,
    /// <summary>The thermocouple is open (not connected).</summary>
    OpenCircuit = 1,
    /// <summary>The thermocouple is shorted to ground.</summary>
    ShortToGround = 2,
    /// <summary>The thermocouple is shorted to the supply.</summary>
    ShortToVcc = 4,
}
