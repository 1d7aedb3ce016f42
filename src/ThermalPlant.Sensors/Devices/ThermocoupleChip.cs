namespace ThermalPlant.Sensors.Devices;

/// <summary>Which thermocouple converter sits on a chip-select line.</summary>
public enum ThermocoupleChip
{
    /// <summary>MAX31855 (14-bit, -200..1350 degC, fault bits).</summary>
    Max31855,
    /// <summary>MAX6675 (12-bit, 0..1023.75 degC, open-thermocouple bit), as in the original build.</summary>
    Max6675,
}
