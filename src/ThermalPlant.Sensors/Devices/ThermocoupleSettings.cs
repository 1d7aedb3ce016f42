namespace ThermalPlant.Sensors.Devices;

/// <summary>One thermocouple converter on SPI.</summary>
public sealed class ThermocoupleSettings
{
    /// <summary>The converter chip.</summary>
    public ThermocoupleChip Chip { get; set; } = ThermocoupleChip.Max31855;

    /// <summary>SPI bus number (/dev/spidevB.C).</summary>
    public int BusId { get; set; }

    /// <summary>Chip-select line (0 = CE0 for the upper thermocouple, 1 = CE1 for the lower).</summary>
    public int ChipSelectLine { get; set; }

    /// <summary>SPI clock in Hz; both chips allow up to 5 MHz (MAX31855) and 4.3 MHz (MAX6675).</summary>
    public int ClockFrequency { get; set; } = 1_000_000;

    internal void Validate(string prefix, ICollection<string> errors)
    {
        if (!Enum.IsDefined(Chip)) errors.Add($"{prefix}Chip must be Max31855 or Max6675");
        if (BusId is < 0 or > 15) errors.Add($"{prefix}BusId must be between 0 and 15");
        if (ChipSelectLine is < 0 or > 15) errors.Add($"{prefix}ChipSelectLine must be between 0 and 15");
        if (ClockFrequency is < 10_000 or > 4_300_000) errors.Add($"{prefix}ClockFrequency must be between 10000 and 4300000 Hz");
    }
}
