namespace ThermalPlant.Sensors.Readings;

/// <summary>Machine-readable reasons carried in a bad reading's <c>fault</c> field.</summary>
internal static class Faults
{
    public const string OpenCircuit = "open_circuit";
    public const string ShortToGround = "short_to_ground";
    public const string ShortToVcc = "short_to_vcc";
    public const string OutOfRange = "out_of_range";
    public const string DeviceError = "device_error";
    public const string NoSignal = "no_signal";
}
