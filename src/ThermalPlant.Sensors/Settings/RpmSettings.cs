namespace ThermalPlant.Sensors.Settings;

/// <summary>Shaft speed sampling, in the original build's <c>/rpm/settings</c> shape.</summary>
public sealed record RpmSettings
{
    /// <summary>How many recent speed samples are averaged into the published value.</summary>
    public int MeasurementWindow { get; set; } = 5;

    /// <summary>Seconds between speed samples.</summary>
    public double MeasurementInterval { get; set; } = 0.2;

    /// <summary>How many samples the window must hold before the value is Good rather than Uncertain.</summary>
    public int SampleSize { get; set; } = 3;

    internal void Validate(string prefix, ICollection<string> errors)
    {
        if (MeasurementWindow is < 1 or > 1000) errors.Add($"{prefix}MeasurementWindow must be between 1 and 1000");
        if (!(MeasurementInterval is >= 0.01 and <= 60)) errors.Add($"{prefix}MeasurementInterval must be between 0.01 and 60 seconds");
        if (SampleSize < 1 || SampleSize > MeasurementWindow) errors.Add($"{prefix}SampleSize must be between 1 and MeasurementWindow");
    }
}
