using System.Numerics;

namespace ThermalPlant.Modbus.Maps;

/// <summary>Turns raw registers into engineering values as a <see cref="RegisterDefinition"/> describes.</summary>
public static class RegisterDecoder
{
    /// <summary>Decodes a word-table value from its registers (<paramref name="registers"/> starts at the value's address).</summary>
    public static RegisterValue Decode(RegisterDefinition definition, ReadOnlySpan<ushort> registers)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (registers.Length < definition.Width) throw new ArgumentException($"{definition.Name} needs {definition.Width} registers", nameof(registers));
        var (high, low) = definition.WordOrder == WordOrder.HighFirst || definition.Width == 1
            ? (registers[0], definition.Width == 2 ? registers[1] : (ushort)0)
            : (registers[1], registers[0]);
        var combined = ((uint)high << 16) | low;
        var raw = definition.Type switch
        {
            RegisterDataType.Bool => registers[0] != 0 ? 1.0 : 0.0,
            RegisterDataType.Int16 => (short)registers[0],
            RegisterDataType.UInt16 => registers[0],
            RegisterDataType.Int32 => (int)combined,
            RegisterDataType.UInt32 => combined,
            _ => BitConverter.UInt32BitsToSingle(combined),
        };
        var word = registers[0];
        return new RegisterValue(
            definition.Name,
            (raw * definition.Scale) + definition.Offset,
            definition.Unit,
            definition.Flags.Count > 0 ? DecodeFlags(definition.Flags, word) : null,
            definition.States.Count > 0 ? DecodeState(definition.States, word) : null,
            definition.States.Count > 0 ? word : null);
    }

    /// <summary>Decodes a bit-table value.</summary>
    public static RegisterValue Decode(RegisterDefinition definition, bool bit)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return new RegisterValue(definition.Name, bit ? 1 : 0, definition.Unit, null, null, null);
    }

    private static Dictionary<string, bool> DecodeFlags(IList<string> names, ushort word)
    {
        var flags = new Dictionary<string, bool>(names.Count, StringComparer.Ordinal);
        for (var bit = 0; bit < names.Count; bit++)
        {
            if (names[bit].Length > 0) flags[names[bit]] = (word & (1 << bit)) != 0;
        }
        return flags;
    }

    // One-hot: exactly one named bit set names the state; no bit or several bits is not a state, and is not guessed.
    private static string? DecodeState(IList<string> names, ushort word) =>
        BitOperations.PopCount(word) == 1 && BitOperations.TrailingZeroCount(word) is var bit && bit < names.Count && names[bit].Length > 0
            ? names[bit]
            : null;
}
