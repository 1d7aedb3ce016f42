namespace ThermalPlant.Analytics.Service.Engine;

/// <summary>
/// Which analysed tags are the plant's signals the diagnosers read (section <c>Analytics:Plant</c>), by tag path as
/// the service names them (see docs/analytics.md). The defaults are the plant OPC UA server's tree.
/// </summary>
public sealed class PlantSignalOptions
{
    /// <summary>Whether the plant is diagnosed; off for sources that are not this plant.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The upper thermocouple, degC.</summary>
    public string UpperTemperature { get; set; } = "Plant/Temperature/Upper";

    /// <summary>The lower thermocouple, degC.</summary>
    public string LowerTemperature { get; set; } = "Plant/Temperature/Lower";

    /// <summary>The main shaft's speed, rpm.</summary>
    public string ShaftSpeed { get; set; } = "Plant/RPM/MainShaft";

    /// <summary>The main supply's voltage, V.</summary>
    public string SupplyVoltage { get; set; } = "Plant/Voltage/MainSupply";

    /// <summary>The mel spectrum's bands, dB: this prefix followed by the band's index (<c>Band_0</c>, <c>Band_1</c>, ...).</summary>
    public string SpectrumBandPrefix { get; set; } = "Plant/Audio/Spectrum/Band_";

    internal void Validate(string prefix, ICollection<string> errors)
    {
        foreach (var (name, path) in new[] { ("UpperTemperature", UpperTemperature), ("LowerTemperature", LowerTemperature), ("ShaftSpeed", ShaftSpeed), ("SupplyVoltage", SupplyVoltage), ("SpectrumBandPrefix", SpectrumBandPrefix) })
        {
            if (string.IsNullOrWhiteSpace(path) || path.StartsWith('/')) errors.Add($"{prefix}:{name} must be a tag path such as Plant/RPM/MainShaft");
        }
    }

    /// <summary>
    /// The role of the tag at <paramref name="path"/>, and for a spectrum band its index. Paths compare without case: the
    /// scrapers lower-case the names they publish to NATS (<c>Plant/temperature/upper</c>), and a plant whose names differ
    /// only by case is not one the diagnosers could tell apart either.
    /// </summary>
    internal (PlantSignal Signal, int Band) Classify(string path)
    {
        if (!Enabled) return (PlantSignal.None, 0);
        if (string.Equals(path, UpperTemperature, StringComparison.OrdinalIgnoreCase)) return (PlantSignal.UpperTemperature, 0);
        if (string.Equals(path, LowerTemperature, StringComparison.OrdinalIgnoreCase)) return (PlantSignal.LowerTemperature, 0);
        if (string.Equals(path, ShaftSpeed, StringComparison.OrdinalIgnoreCase)) return (PlantSignal.ShaftSpeed, 0);
        if (string.Equals(path, SupplyVoltage, StringComparison.OrdinalIgnoreCase)) return (PlantSignal.SupplyVoltage, 0);
        if (path.StartsWith(SpectrumBandPrefix, StringComparison.OrdinalIgnoreCase)
            && int.TryParse(path.AsSpan(SpectrumBandPrefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var band))
        {
            return (PlantSignal.SpectrumBand, band);
        }
        return (PlantSignal.None, 0);
    }
}

/// <summary>What a tag is to the plant's diagnosers.</summary>
internal enum PlantSignal
{
    /// <summary>Scored only.</summary>
    None,
    UpperTemperature,
    LowerTemperature,
    ShaftSpeed,
    SupplyVoltage,
    SpectrumBand,
}
