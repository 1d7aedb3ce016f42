using System.Net;

namespace ThermalPlant.Modbus.Server;

/// <summary>Where a simulated Modbus device listens and whom it answers.</summary>
public sealed class ModbusServerOptions
{
    /// <summary>Listening address (loopback by default).</summary>
    public IPAddress Address { get; set; } = IPAddress.Loopback;

    /// <summary>TCP port; 0 picks a free one (see <see cref="ModbusTcpServer.Port"/>).</summary>
    public int Port { get; set; } = 502;

    /// <summary>The unit id answered; null answers every unit (as a TCP-native device does).</summary>
    public byte? UnitId { get; set; }

    /// <summary>Connections served at once; more are closed on accept.</summary>
    public int MaxConnections { get; set; } = 16;

    /// <summary>A connection silent for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The problems with these options, each naming the setting; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Port is < 0 or > 65535) errors.Add("Port must be between 0 and 65535");
        if (MaxConnections is < 1 or > 1024) errors.Add("MaxConnections must be between 1 and 1024");
        if (IdleTimeout <= TimeSpan.Zero) errors.Add("IdleTimeout must be positive");
        return errors;
    }
}
