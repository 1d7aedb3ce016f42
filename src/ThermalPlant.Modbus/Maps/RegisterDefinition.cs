namespace ThermalPlant.Modbus.Maps;

/// <summary>One named value of a device's register map (bindable from configuration).</summary>
public sealed class RegisterDefinition
{
    /// <summary>Name of the value, e.g. <c>h2_flow</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>Table the value is read from.</summary>
    public RegisterTable Table { get; set; } = RegisterTable.Holding;

    /// <summary>Address relative to the map's base address.</summary>
    public int Address { get; set; }

    /// <summary>Layout of the raw value.</summary>
    public RegisterDataType Type { get; set; } = RegisterDataType.UInt16;

    /// <summary>Register order of 32-bit types.</summary>
    public WordOrder WordOrder { get; set; } = WordOrder.HighFirst;

    /// <summary>Engineering value = raw * Scale + Offset.</summary>
    public double Scale { get; set; } = 1;

    /// <summary>Engineering value = raw * Scale + Offset.</summary>
    public double Offset { get; set; }

    /// <summary>Engineering unit, e.g. <c>NL/min</c>.</summary>
    public string? Unit { get; set; }

    /// <summary>Names of the bits of a 16-bit word, least significant first; an empty name skips that bit.</summary>
    public IList<string> Flags { get; set; } = [];

    /// <summary>Names of a one-hot status word's states, least significant bit first.</summary>
    public IList<string> States { get; set; } = [];

    /// <summary>Registers (or bits) the value occupies.</summary>
    public int Width => Type is RegisterDataType.Int32 or RegisterDataType.UInt32 or RegisterDataType.Float32 ? 2 : 1;

    internal void Validate(string prefix, ICollection<string> errors)
    {
        if (string.IsNullOrWhiteSpace(Name)) errors.Add($"{prefix}Name must not be empty");
        if (!Enum.IsDefined(Table)) errors.Add($"{prefix}Table must be Coil, DiscreteInput, Holding or Input");
        if (!Enum.IsDefined(Type)) errors.Add($"{prefix}Type is not a known data type");
        if (Table is RegisterTable.Coil or RegisterTable.DiscreteInput && Type != RegisterDataType.Bool) errors.Add($"{prefix}Type must be Bool for a bit table");
        if (Address < 0 || Address + Width > 65536) errors.Add($"{prefix}Address must lie within 0..65535");
        if (Flags.Count > 16 || States.Count > 16) errors.Add($"{prefix}Flags and States name at most 16 bits");
        if ((Flags.Count > 0 || States.Count > 0) && Type is not (RegisterDataType.UInt16 or RegisterDataType.Int16)) errors.Add($"{prefix}Flags and States need a 16-bit register");
        if (double.IsNaN(Scale) || Scale == 0) errors.Add($"{prefix}Scale must be a non-zero number");
    }
}
