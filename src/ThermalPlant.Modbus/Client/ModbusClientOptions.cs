namespace ThermalPlant.Modbus.Client;

/// <summary>Where a Modbus TCP device is and how long to wait for it.</summary>
public sealed class ModbusClientOptions
{
    /// <summary>Host name or address of the device.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP port (502 is Modbus's).</summary>
    public int Port { get; set; } = 502;

    /// <summary>How long a request may wait for its response.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long connecting may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>The problems with these options, each naming the setting; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Host)) errors.Add("Host must not be empty");
        if (Port is < 1 or > 65535) errors.Add("Port must be between 1 and 65535");
        if (RequestTimeout <= TimeSpan.Zero || RequestTimeout > TimeSpan.FromMinutes(1)) errors.Add("RequestTimeout must be between 0 and 1 minute");
        if (ConnectTimeout <= TimeSpan.Zero || ConnectTimeout > TimeSpan.FromMinutes(1)) errors.Add("ConnectTimeout must be between 0 and 1 minute");
        return errors;
    }
}
