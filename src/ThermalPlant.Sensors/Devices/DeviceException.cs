namespace ThermalPlant.Sensors.Devices;

/// <summary>A device answered nothing usable (stuck bus, absent chip, malformed frame); the reading is bad, not made up.</summary>
public sealed class DeviceException : IOException
{
    /// <summary>Creates the exception with a message saying what the device sent.</summary>
    public DeviceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the bus error behind it.</summary>
    public DeviceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception without a message.</summary>
    public DeviceException()
    {
    }
}
