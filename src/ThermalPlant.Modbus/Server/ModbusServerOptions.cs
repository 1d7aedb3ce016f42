using System.Net;

namespace ThermalPlant.Modbus.Server;

/// <summary>Where a simulated Modbus device listens, whom it answers, and how many connections it holds.</summary>
public sealed class ModbusServerOptions
{
    /// <summary>Listening address (loopback by default).</summary>
    public IPAddress Address { get; set; } = IPAddress.Loopback;

    /// <summary>TCP port; 0 picks a free one (see <see cref="ModbusTcpServer.Port"/>).</summary>
    public int Port { get; set; } = 502;

    /// <summary>The unit id answered; null answers every unit (as a TCP-native device does).</summary>
    public byte? UnitId { get; set; }

    /// <summary>
    /// Connections served at once. When all are taken, a newcomer (from an address below
    /// <see cref="MaxConnectionsPerAddress"/>) takes the place of the longest-standing connection that has never sent
    /// a request or, when every one has, of the one that has waited longest since its last request, leaving out the
    /// first quarter of this number in order of connection (the pollers that were there first). A connection in the
    /// middle of a request is never the one given up.
    /// </summary>
    public int MaxConnections { get; set; } = 16;

    /// <summary>Connections one peer address may hold at once; a further one from that address is closed on accept.</summary>
    public int MaxConnectionsPerAddress { get; set; } = 4;

    /// <summary>
    /// A connection that completes no request for this long is closed; a request trickled in byte by byte counts
    /// only once whole, and a response the peer does not read within it ends the connection too.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The problems with these options, each naming the setting; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Port is < 0 or > 65535) errors.Add("Port must be between 0 and 65535");
        if (MaxConnections is < 1 or > 1024) errors.Add("MaxConnections must be between 1 and 1024");
        if (MaxConnectionsPerAddress < 1 || MaxConnectionsPerAddress > MaxConnections) errors.Add("MaxConnectionsPerAddress must be between 1 and MaxConnections");
        if (IdleTimeout < TimeSpan.FromMilliseconds(100) || IdleTimeout > TimeSpan.FromHours(1)) errors.Add("IdleTimeout must be between 100 ms and 1 hour");
        return errors;
    }
}
