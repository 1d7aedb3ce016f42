namespace ThermalPlant.Sensors.Settings;

/// <summary>Supply voltage sampling, served at <c>/voltage/settings</c>.</summary>
public sealed record VoltageSettings
{
    /// <summary>Seconds between published voltage readings.</summary>
    public double MeasurementInterval { get; set; } = 0.5;

    /// <summary>Conversions averaged into one reading, to reject ripple.</summary>
    public int Averaging { get; set; } = 4;

    internal void Validate(string prefix, ICollection<string> errors)
    {
        if (!(MeasurementInterval is >= 0.01 and <= 60)) errors.Add($"{prefix}MeasurementInterval must be between 0.01 and 60 seconds");
        if (Averaging is < 1 or > 64) errors.Add($"{prefix}Averaging must be between 1 and 64");
    }
}
