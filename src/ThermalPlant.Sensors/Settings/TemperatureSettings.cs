namespace ThermalPlant.Sensors.Settings;

/// <summary>Thermocouple sampling.</summary>
public sealed record TemperatureSettings
{
    /// <summary>Seconds between conversions; the MAX31855 converts in about 100 ms.</summary>
    public double MeasurementInterval { get; set; } = 0.5;

    internal void Validate(string prefix, ICollection<string> errors)
    {
        if (!(MeasurementInterval is >= 0.1 and <= 60)) errors.Add($"{prefix}MeasurementInterval must be between 0.1 and 60 seconds");
    }
}
