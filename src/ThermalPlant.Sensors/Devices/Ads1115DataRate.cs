namespace ThermalPlant.Sensors.Devices;

/// <summary>ADS1115 data rate (config bits 7..5), samples per second.</summary>
public enum Ads1115DataRate
{
    /// <summary>8 SPS.</summary>
    Sps8 = 0b000,
    /// <summary>16 SPS.</summary>
    Sps16 = 0b001,
    /// <summary>32 SPS.</summary>
    Sps32 = 0b010,
    /// <summary>64 SPS.</summary>
    Sps64 = 0b011,
    /// <summary>128 SPS (the chip's power-on default).</summary>
    Sps128 = 0b100,
    /// <summary>250 SPS.</summary>
    Sps250 = 0b101,
    /// <summary>475 SPS.</summary>
    Sps475 = 0b110,
    /// <summary>860 SPS (the default here).</summary>
    Sps860 = 0b111,
}
