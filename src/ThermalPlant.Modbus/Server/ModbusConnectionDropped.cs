using System.Net;

namespace ThermalPlant.Modbus.Server;

/// <summary>Why the server closed a connection of its own accord.</summary>
public enum ModbusDropReason
{
    /// <summary>Refused on accept: its address already held <see cref="ModbusServerOptions.MaxConnectionsPerAddress"/>.</summary>
    PerAddressLimit,

    /// <summary>Refused on accept: every connection was in the middle of a request, none could be given up.</summary>
    ServerFull,

    /// <summary>
    /// Given up for a newcomer when the server was full: it had never sent a request, or had waited longest since its
    /// last one and was not among the longest-standing quarter.
    /// </summary>
    Evicted,

    /// <summary>No whole request (or no read of the response) within <see cref="ModbusServerOptions.IdleTimeout"/>.</summary>
    IdleTimeout,
}

/// <summary>A connection the server closed, and why.</summary>
/// <param name="Peer">The peer's address and port.</param>
/// <param name="Reason">Why it was closed.</param>
public sealed record ModbusConnectionDropped(IPEndPoint Peer, ModbusDropReason Reason);
