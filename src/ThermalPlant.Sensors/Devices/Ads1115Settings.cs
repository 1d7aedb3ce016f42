namespace ThermalPlant.Sensors.Devices;

/// <summary>The supply voltage measurement: an ADS1115 on I2C behind a resistive divider.</summary>
public sealed class Ads1115Settings
{
    /// <summary>I2C bus number (/dev/i2c-N).</summary>
    public int BusId { get; set; } = 1;

    /// <summary>7-bit address: 0x48 (ADDR to GND) to 0x4B.</summary>
    public int Address { get; set; } = 0x48;

    /// <summary>Input multiplexer.</summary>
    public Ads1115Input Input { get; set; } = Ads1115Input.Ain0;

    /// <summary>Full-scale range; with <see cref="AutoGain"/> the starting range.</summary>
    public Ads1115Gain Gain { get; set; } = Ads1115Gain.FullScale4096mV;

    /// <summary>Conversion rate.</summary>
    public Ads1115DataRate DataRate { get; set; } = Ads1115DataRate.Sps860;

    /// <summary>Measured voltage per volt at the ADC input, e.g. 11 for a 100k/10k divider.</summary>
    public double DividerRatio { get; set; } = 1;

    /// <summary>Choose the range from the signal: never one smaller than the signal, stepping up when a conversion saturates.</summary>
    public bool AutoGain { get; set; }

    internal void Validate(string prefix, ICollection<string> errors)
    {
        if (BusId is < 0 or > 255) errors.Add($"{prefix}BusId must be between 0 and 255");
        if (Address is < 0x48 or > 0x4B) errors.Add($"{prefix}Address must be between 0x48 (72) and 0x4B (75)");
        if (!Enum.IsDefined(Input)) errors.Add($"{prefix}Input is not an ADS1115 input");
        if (!Enum.IsDefined(Gain)) errors.Add($"{prefix}Gain is not an ADS1115 range");
        if (!Enum.IsDefined(DataRate)) errors.Add($"{prefix}DataRate is not an ADS1115 data rate");
        if (!(DividerRatio is > 0 and <= 1000)) errors.Add($"{prefix}DividerRatio must be between 0 and 1000");
    }
}
