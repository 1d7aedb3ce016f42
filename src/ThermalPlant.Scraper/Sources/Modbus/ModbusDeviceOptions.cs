using ThermalPlant.Modbus.Client;
using ThermalPlant.Modbus.Maps;
using ThermalPlant.PowerToGas;

namespace ThermalPlant.Scraper.Sources.Modbus;

/// <summary>One Modbus TCP device polled for storage (an item of <c>Scraper:Modbus:Devices</c>).</summary>
public sealed class ModbusDeviceOptions
{
    /// <summary>The device's name: the <c>sensorname</c> of its values.</summary>
    public string Name { get; set; } = "";

    /// <summary>Host name or address.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP port.</summary>
    public int Port { get; set; } = 502;

    /// <summary>Unit id of every request.</summary>
    public byte UnitId { get; set; }

    /// <summary>Time between polls (the seed's storage task: 10 s); the name <c>import-pycomint</c> writes.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Further attempts of a failed poll within the same cycle before it counts as failed (the seed's <c>retries</c>).</summary>
    public int Retries { get; set; }

    /// <summary>How long one request may wait for its response.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long connecting may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Use the PEMEL electrolyzer's map (status word and 14 process values) at <see cref="PemelBaseAddress"/>, instead of or next to <see cref="Map"/>.</summary>
    public bool Pemel { get; set; }

    /// <summary>Base address of the PEMEL map.</summary>
    public int PemelBaseAddress { get; set; }

    /// <summary>The registers read; each register's name is the <c>tagname</c> of its value.</summary>
    public RegisterMap Map { get; set; } = new();

    /// <summary>The map polled: <see cref="Map"/>, or the PEMEL map when <see cref="Pemel"/> is set.</summary>
    public RegisterMap EffectiveMap() => Pemel ? PemelRegisterMap.Create(PemelBaseAddress) : Map;

    /// <summary>The client options for this device.</summary>
    public ModbusClientOptions ToClientOptions() => new() { Host = Host, Port = Port, RequestTimeout = RequestTimeout, ConnectTimeout = ConnectTimeout };

    internal void Validate(string prefix, ICollection<string> errors)
    {
        if (string.IsNullOrWhiteSpace(Name)) errors.Add($"{prefix}:Name must name the device (its values' sensorname)");
        foreach (var error in ToClientOptions().Validate()) errors.Add($"{prefix}:{error}");
        if (PollInterval < TimeSpan.FromMilliseconds(100) || PollInterval > TimeSpan.FromHours(24)) errors.Add($"{prefix}:PollInterval must be between 100 ms and 24 hours");
        if (Retries is < 0 or > 10) errors.Add($"{prefix}:Retries must be between 0 and 10");
        if (!Pemel && Map.Registers.Count == 0) errors.Add($"{prefix}:Map:Registers must list at least one register (or set Pemel to true)");
        foreach (var error in EffectiveMap().Validate($"{prefix}:{(Pemel ? "Pemel" : "Map")}:")) errors.Add(error);
    }
}
