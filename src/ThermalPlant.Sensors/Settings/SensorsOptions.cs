using ThermalPlant.Hosting;
using ThermalPlant.Sensors.Devices;
using ThermalPlant.Simulation;
using ThermalPlant.Simulation.Dsp;

namespace ThermalPlant.Sensors.Settings;

/// <summary>The <c>Sensors</c> configuration section.</summary>
public sealed class SensorsOptions : IValidatableOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Sensors";

    /// <summary>Simulated plant or real hardware.</summary>
    public SensorsMode Mode { get; set; } = SensorsMode.Simulated;

    /// <summary>Thermocouple sampling at start.</summary>
    public TemperatureSettings Temperature { get; set; } = new();

    /// <summary>Shaft speed sampling at start.</summary>
    public RpmSettings Rpm { get; set; } = new();

    /// <summary>Supply voltage sampling at start.</summary>
    public VoltageSettings Voltage { get; set; } = new();

    /// <summary>Audio analysis at start.</summary>
    public AudioSettings Audio { get; set; } = new();

    /// <summary>Parameters of the spectrum and MFCC analysis (sample rate, FFT, mel bands).</summary>
    public AudioFeatureOptions AudioFeatures { get; set; } = new();

    /// <summary>The Raspberry Pi's devices, used when <see cref="Mode"/> is <see cref="SensorsMode.Hardware"/>.</summary>
    public HardwareSettings Hardware { get; set; } = new();

    /// <summary>The simulated plant, used when <see cref="Mode"/> is <see cref="SensorsMode.Simulated"/>.</summary>
    public SimulationOptions Simulation { get; set; } = new();

    /// <summary>
    /// Most faults active at once in the simulated plant; <c>POST /simulation/faults</c> beyond it answers 409.
    /// Every active fault is evaluated on every sample, so the cap bounds the work an injection can add.
    /// </summary>
    public int MaxActiveFaults { get; set; } = 32;

    /// <summary>
    /// When true, <c>/rpm</c> and <c>/voltage</c> answer the original build's bare JSON number unless
    /// <c>?format=reading</c> is asked; when false (the default) they answer a reading unless <c>?format=legacy</c> is asked.
    /// </summary>
    public bool LegacyShapesByDefault { get; set; }

    /// <inheritdoc />
    public void Validate(string sectionPath, ICollection<string> errors)
    {
        if (!Enum.IsDefined(Mode)) errors.Add($"{sectionPath}:Mode must be Simulated or Hardware");
        Temperature.Validate($"{sectionPath}:Temperature:", errors);
        Rpm.Validate($"{sectionPath}:Rpm:", errors);
        Voltage.Validate($"{sectionPath}:Voltage:", errors);
        Audio.Validate($"{sectionPath}:Audio:", errors);
        AudioFeatures.Validate($"{sectionPath}:AudioFeatures:", errors);
        if (Audio.MfccCount > AudioFeatures.MfccMelBands) errors.Add($"{sectionPath}:Audio:MfccCount must not exceed {sectionPath}:AudioFeatures:MfccMelBands");
        if (MaxActiveFaults is < 1 or > 1024) errors.Add($"{sectionPath}:MaxActiveFaults must be between 1 and 1024");
        Simulation.Validate($"{sectionPath}:Simulation:", errors);
        if (Simulation.Faults.Count > MaxActiveFaults) errors.Add($"{sectionPath}:Simulation:Faults holds {Simulation.Faults.Count} faults, more than {sectionPath}:MaxActiveFaults ({MaxActiveFaults})");
        if (Mode == SensorsMode.Hardware) Hardware.Validate($"{sectionPath}:Hardware:", errors);
    }
}
