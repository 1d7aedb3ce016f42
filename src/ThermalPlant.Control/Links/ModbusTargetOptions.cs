using ThermalPlant.Modbus.Client;

namespace ThermalPlant.Control.Links;

/// <summary>The Modbus device a control link drives and its set point register (bindable from configuration).</summary>
public sealed class ModbusTargetOptions
{
    /// <summary>Host name or address of the device.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP port.</summary>
    public int Port { get; set; } = 502;

    /// <summary>The unit id of every request, reads and writes alike (the seed used two different ones, a defect).</summary>
    public byte UnitId { get; set; }

    /// <summary>Added to every register address of this device.</summary>
    public int BaseAddress { get; set; }

    /// <summary>Holding register of the set point, written with FC06 (PEMEL: 0x8006; -1: not given).</summary>
    public int SetPointAddress { get; set; } = -1;

    /// <summary>Register counts per unit of the set point (1 when the register holds whole amperes, 10 for tenths).</summary>
    public double SetPointScale { get; set; } = 1;

    /// <summary>How long one request may wait for its response.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The absolute register address of the set point.</summary>
    public ushort AbsoluteSetPointAddress => (ushort)(BaseAddress + SetPointAddress);

    /// <summary>The client options for this device.</summary>
    public ModbusClientOptions ToClientOptions() => new() { Host = Host, Port = Port, RequestTimeout = RequestTimeout };

    /// <summary>Adds one message per invalid setting, each starting with the full key under <paramref name="prefix"/>.</summary>
    public void Validate(string prefix, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        foreach (var error in ToClientOptions().Validate()) errors.Add($"{prefix}:{error}");
        var absolute = BaseAddress + SetPointAddress;
        if (SetPointAddress < 0) errors.Add($"{prefix}:SetPointAddress must give the set point's holding register");
        else if (absolute is < 0 or > 65535) errors.Add($"{prefix}:SetPointAddress plus BaseAddress must lie within 0..65535, found {absolute}");
        if (!double.IsFinite(SetPointScale) || SetPointScale <= 0) errors.Add($"{prefix}:SetPointScale must be a positive number");
    }
}
