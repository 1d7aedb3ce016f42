using System.Net;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server;

/// <summary>Why a connection was refused or given up before it activated a session.</summary>
public enum ConnectionRefusal
{
    /// <summary>The peer's address already holds <see cref="OpcUaServerOptions.MaxConnectionsPerAddress"/> connections.</summary>
    AddressLimit,

    /// <summary>Every connection slot is held by a connection with an activated session.</summary>
    ServerFull,

    /// <summary>The oldest connection without an activated session, closed to make room for a new one.</summary>
    GivenUpForRoom,

    /// <summary>A step of the handshake did not come in time (<see cref="OpcUaServerOptions.HandshakeStepTimeout"/>, <see cref="OpcUaServerOptions.SessionActivationTimeout"/>).</summary>
    HandshakeTimeout,
}

/// <summary>A connection refused or closed by the server's connection limits, raised for the host to log and count.</summary>
/// <param name="Kind">Which limit.</param>
/// <param name="Peer">The peer's address and port; null when the socket no longer knew it.</param>
/// <param name="Status">The status sent in the Error message before closing.</param>
/// <param name="Reason">What happened, in words.</param>
public sealed record ConnectionRefused(ConnectionRefusal Kind, EndPoint? Peer, StatusCode Status, string Reason);
