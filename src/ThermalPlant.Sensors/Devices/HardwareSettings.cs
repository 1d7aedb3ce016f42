namespace ThermalPlant.Sensors.Devices;

/// <summary>The Raspberry Pi's devices (configuration section <c>Sensors:Hardware</c>), used in hardware mode.</summary>
public sealed class HardwareSettings
{
    /// <summary>Upper thermocouple: SPI0 CE0.</summary>
    public ThermocoupleSettings Upper { get; set; } = new() { ChipSelectLine = 0 };

    /// <summary>Lower thermocouple: SPI0 CE1.</summary>
    public ThermocoupleSettings Lower { get; set; } = new() { ChipSelectLine = 1 };

    /// <summary>Supply voltage ADC.</summary>
    public Ads1115Settings Voltage { get; set; } = new();

    /// <summary>Shaft speed pickup.</summary>
    public TachometerSettings Tachometer { get; set; } = new();

    /// <summary>Microphone.</summary>
    public AudioCaptureSettings Audio { get; set; } = new();

    internal void Validate(string prefix, ICollection<string> errors)
    {
        Upper.Validate($"{prefix}Upper:", errors);
        Lower.Validate($"{prefix}Lower:", errors);
        Voltage.Validate($"{prefix}Voltage:", errors);
        Tachometer.Validate($"{prefix}Tachometer:", errors);
        Audio.Validate($"{prefix}Audio:", errors);
    }
}
