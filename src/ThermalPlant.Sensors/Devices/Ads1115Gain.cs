namespace ThermalPlant.Sensors.Devices;

/// <summary>ADS1115 programmable gain (config bits 11..9): the full-scale range of a conversion.</summary>
public enum Ads1115Gain
{
    /// <summary>+-6.144 V.</summary>
    FullScale6144mV = 0b000,
    /// <summary>+-4.096 V (the default here).</summary>
    FullScale4096mV = 0b001,
    /// <summary>+-2.048 V (the chip's power-on default).</summary>
    FullScale2048mV = 0b010,
    /// <summary>+-1.024 V.</summary>
    FullScale1024mV = 0b011,
    /// <summary>+-0.512 V.</summary>
    FullScale512mV = 0b100,
    /// <summary>+-0.256 V.</summary>
    FullScale256mV = 0b101,
}
