namespace ThermalPlant.Modbus.Maps;

/// <summary>One decoded value of a register map.</summary>
/// <param name="Name">The definition's name.</param>
/// <param name="Value">The engineering value (a bool reads 0 or 1).</param>
/// <param name="Unit">The definition's unit.</param>
/// <param name="Flags">The named bits of a flag word; null otherwise.</param>
/// <param name="State">The one named state of a one-hot status word; null when not a status word, or when zero or several bits are set (see <paramref name="StateBits"/>).</param>
/// <param name="StateBits">The raw word of a status word, so that an invalid (not one-hot) state can be reported as such.</param>
public sealed record RegisterValue(string Name, double Value, string? Unit, IReadOnlyDictionary<string, bool>? Flags, string? State, ushort? StateBits);
