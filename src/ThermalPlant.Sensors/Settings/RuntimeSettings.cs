namespace ThermalPlant.Sensors.Settings;

/// <summary>
/// The sampling settings in force, changed at run time through the settings routes; samplers read them on
/// every cycle, so a change applies from the next sample on.
/// </summary>
internal sealed class RuntimeSettings(SensorsOptions options)
{
    private volatile RpmSettings _rpm = options.Rpm;
    private volatile VoltageSettings _voltage = options.Voltage;
    private volatile AudioSettings _audio = options.Audio;
    private volatile TemperatureSettings _temperature = options.Temperature;

    /// <summary>Raised after the audio settings changed, so the analysis can be rebuilt.</summary>
    public event Action<AudioSettings>? AudioChanged;

    public RpmSettings Rpm => _rpm;
    public VoltageSettings Voltage => _voltage;
    public AudioSettings Audio => _audio;
    public TemperatureSettings Temperature => _temperature;

    public IReadOnlyList<string> TrySet(RpmSettings value) => Apply(errors => value.Validate("", errors), () => _rpm = value);
    public IReadOnlyList<string> TrySet(VoltageSettings value) => Apply(errors => value.Validate("", errors), () => _voltage = value);
    public IReadOnlyList<string> TrySet(TemperatureSettings value) => Apply(errors => value.Validate("", errors), () => _temperature = value);

    public IReadOnlyList<string> TrySet(AudioSettings value)
    {
        var errors = Apply(e => value.Validate("", e), () => _audio = value);
        if (errors.Count == 0) AudioChanged?.Invoke(value);
        return errors;
    }

    private static List<string> Apply(Action<List<string>> validate, Action set)
    {
        var errors = new List<string>();
        validate(errors);
        if (errors.Count == 0) set();
        return errors;
    }
}
