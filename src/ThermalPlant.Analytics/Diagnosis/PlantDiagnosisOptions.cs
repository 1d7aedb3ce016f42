namespace ThermalPlant.Analytics.Diagnosis;

/// <summary>What <see cref="PlantDiagnoser"/> knows about the machine, and its thresholds. Defaults fit the simulated plant.</summary>
public sealed class PlantDiagnosisOptions
{
    /// <summary>The layout of the served mel spectrum (the <c>parameters</c> of the sensors service's spectrum reading).</summary>
    public SpectrumLayoutOptions Spectrum { get; set; } = new();

    /// <summary>Bearing wear from the audio spectrum.</summary>
    public BearingDiagnosisOptions Bearing { get; set; } = new();

    /// <summary>The thermocouples and the furnace model that relates them.</summary>
    public ThermocoupleDiagnosisOptions Thermocouples { get; set; } = new();

    /// <summary>Supply voltage sag and ripple.</summary>
    public SupplyDiagnosisOptions Supply { get; set; } = new();

    /// <summary>Shaft speed hunting.</summary>
    public ShaftSpeedDiagnosisOptions Speed { get; set; } = new();

    /// <summary>Adds a message per invalid setting to <paramref name="errors"/>, each starting with <paramref name="prefix"/>.</summary>
    public void Validate(string prefix, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        Spectrum.Validate($"{prefix}Spectrum:", errors);
        Bearing.Validate($"{prefix}Bearing:", errors);
        Thermocouples.Validate($"{prefix}Thermocouples:", errors);
        Supply.Validate($"{prefix}Supply:", errors);
        Speed.Validate($"{prefix}Speed:", errors);
    }

    internal void ThrowIfInvalid()
    {
        var errors = new List<string>();
        Validate("", errors);
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors));
    }
}
