namespace ThermalPlant.Sensors.Devices;

/// <summary>ADS1115 input multiplexer (config bits 14..12).</summary>
public enum Ads1115Input
{
    /// <summary>AIN0 - AIN1.</summary>
    Ain0MinusAin1 = 0b000,
    /// <summary>AIN0 - AIN3.</summary>
    Ain0MinusAin3 = 0b001,
    /// <summary>AIN1 - AIN3.</summary>
    Ain1MinusAin3 = 0b010,
    /// <summary>AIN2 - AIN3.</summary>
    Ain2MinusAin3 = 0b011,
    /// <summary>AIN0 against ground (the default here).</summary>
    Ain0 = 0b100,
    /// <summary>AIN1 against ground.</summary>
    Ain1 = 0b101,
    /// <summary>AIN2 against ground.</summary>
    Ain2 = 0b110,
    /// <summary>AIN3 against ground.</summary>
    Ain3 = 0b111,
}
