namespace ThermalPlant.Modbus.Maps;

/// <summary>How a value is laid out in registers.</summary>
public enum RegisterDataType
{
    /// <summary>One bit (coil or discrete input), or a register that is non-zero.</summary>
    Bool,
    /// <summary>One register, signed.</summary>
    Int16,
    /// <summary>One register, unsigned.</summary>
    UInt16,
    /// <summary>Two registers, signed.</summary>
    Int32,
    /// <summary>Two registers, unsigned.</summary>
    UInt32,
    /// <summary>Two registers, IEEE 754 single precision.</summary>
    Float32,
}
