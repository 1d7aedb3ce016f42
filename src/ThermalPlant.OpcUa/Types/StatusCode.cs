using ThermalPlant.OpcUa.Generated;

namespace ThermalPlant.OpcUa.Types;

/// <summary>An OPC UA status code (Part 4, 7.39): severity in the top two bits, the code in the upper 16, info bits below.</summary>
/// <param name="Code">The 32-bit value.</param>
public readonly record struct StatusCode(uint Code)
{
    /// <summary>Good.</summary>
    public static StatusCode Good => new(0);

    /// <summary>The operation succeeded.</summary>
    public bool IsGood => (Code & 0xC0000000) == 0;

    /// <summary>The operation succeeded, with less confidence.</summary>
    public bool IsUncertain => (Code & 0xC0000000) == 0x40000000;

    /// <summary>The operation failed.</summary>
    public bool IsBad => (Code & 0x80000000) != 0;

    /// <summary>The symbolic name (e.g. <c>BadNodeIdUnknown</c>), or the hex value when unknown.</summary>
    public override string ToString() => StatusCodes.NameOf(Code) ?? $"0x{Code:X8}";

    /// <summary>Converts a code from <see cref="StatusCodes"/>.</summary>
    public static implicit operator StatusCode(uint code) => new(code);
}
