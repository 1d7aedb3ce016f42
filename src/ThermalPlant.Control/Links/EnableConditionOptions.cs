using ThermalPlant.Modbus.Maps;

namespace ThermalPlant.Control.Links;

/// <summary>
/// A status flag of the driven device that must be set for the link to write (PEMEL: bit 10 of the status word,
/// "H2 cooling temperature reached"). It is read from the same device and unit as the set point is written to. It
/// is on unless turned off: while on, the status word's address and the bit must be given.
/// </summary>
public sealed class EnableConditionOptions
{
    /// <summary>Whether the condition is checked at all; without it the link writes whenever it has a set point.</summary>
    public bool Active { get; set; } = true;

    /// <summary>The flag's name, used in logs.</summary>
    public string Name { get; set; } = "enable";

    /// <summary>The table of the status word: Holding (FC03) or Input (FC04).</summary>
    public RegisterTable Table { get; set; } = RegisterTable.Holding;

    /// <summary>The status word's address, relative to the device's base address (-1: not given).</summary>
    public int Address { get; set; } = -1;

    /// <summary>The flag's bit, least significant first (-1: not given).</summary>
    public int Bit { get; set; } = -1;

    /// <summary>Adds one message per invalid setting, each starting with the full key under <paramref name="prefix"/>.</summary>
    public void Validate(string prefix, int baseAddress, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (!Active) return;
        if (string.IsNullOrWhiteSpace(Name)) errors.Add($"{prefix}:Name must not be empty");
        if (Table is not (RegisterTable.Holding or RegisterTable.Input)) errors.Add($"{prefix}:Table must be Holding or Input");
        if (Address < 0) errors.Add($"{prefix}:Address must give the status word (or set {prefix}:Active to false to write without an enable condition)");
        else if (baseAddress + Address is < 0 or > 65535) errors.Add($"{prefix}:Address plus the target's BaseAddress must lie within 0..65535");
        if (Bit is < 0 or > 15) errors.Add($"{prefix}:Bit must be between 0 and 15");
    }
}
