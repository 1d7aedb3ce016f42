namespace ThermalPlant.Modbus.Maps;

/// <summary>A device's named values (bindable from configuration).</summary>
public sealed class RegisterMap
{
    /// <summary>Added to every definition's address (devices that number from an offset; may be negative).</summary>
    public int BaseAddress { get; set; }

    /// <summary>The values.</summary>
    public IList<RegisterDefinition> Registers { get; set; } = [];

    /// <summary>The problems with this map, each naming the key under <paramref name="prefix"/>; empty when valid.</summary>
    public IReadOnlyList<string> Validate(string prefix = "")
    {
        var errors = new List<string>();
        if (BaseAddress is < -65535 or > 65535) errors.Add($"{prefix}BaseAddress must be between -65535 and 65535");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Registers.Count; i++)
        {
            var definition = Registers[i];
            definition.Validate($"{prefix}Registers:{i}:", errors);
            var absolute = BaseAddress + definition.Address;
            if (absolute < 0 || absolute + definition.Width > 65536) errors.Add($"{prefix}Registers:{i}:Address plus BaseAddress lies outside 0..65535");
            if (!names.Add(definition.Name)) errors.Add($"{prefix}Registers:{i}:Name '{definition.Name}' is used twice");
        }
        return errors;
    }
}
