namespace ThermalPlant.Sensors.Readings;

/// <summary>The stable ids of the plant's sensors (the <c>sensor</c> field of readings).</summary>
internal static class SensorIds
{
    public const string TemperatureUpper = "temperature_upper";
    public const string TemperatureLower = "temperature_lower";
    public const string Rpm = "rpm_main_shaft";
    public const string Voltage = "voltage_main_supply";
    public const string Mfcc = "audio_mfcc";
    public const string Spectrum = "audio_spectrum";
    public const string AudioLevel = "audio_level";
}
