using System.Net;

namespace ThermalPlant.OpcUa.Server;

/// <summary>
/// The connections served, oldest first, under two limits: a total and a cap per peer address (as nginx's
/// <c>limit_conn</c> caps one address). When the total is reached, the oldest connection that has not activated a
/// session is given up for the new one (open62541 purges its first channel without a session the same way); one with an activated session is never given up, so a full server of working clients refuses newcomers.
/// </summary>
internal sealed class ConnectionTable(int maxConnections, int maxPerAddress)
{
    private readonly Lock _lock = new();
    private readonly List<UaTcpConnection> _open = [];

    /// <summary>Connections held now.</summary>
    public int Count
    {
        get
        {
            lock (_lock) return _open.Count;
        }
    }

    /// <summary>
    /// Takes <paramref name="connection"/> in, or says which limit refuses it. <paramref name="givenUp"/> is the
    /// connection removed to make room, for the caller to close.
    /// </summary>
    public ConnectionRefusal? Admit(UaTcpConnection connection, out UaTcpConnection? givenUp)
    {
        givenUp = null;
        lock (_lock)
        {
            var sameAddress = 0;
            foreach (var open in _open)
            {
                if (Equals(open.PeerAddress, connection.PeerAddress)) sameAddress++;
            }
            if (sameAddress >= maxPerAddress) return ConnectionRefusal.AddressLimit;
            if (_open.Count >= maxConnections)
            {
                var oldest = _open.FindIndex(c => !c.IsActivated);
                if (oldest < 0) return ConnectionRefusal.ServerFull;
                givenUp = _open[oldest];
                _open.RemoveAt(oldest);
            }
            _open.Add(connection);
            return null;
        }
    }

    /// <summary>
    /// Frees the slot of a connection that ended or is given up; false when it was no longer held (so whoever took it
    /// out first, a deadline or a newcomer, is the one that gives it up).
    /// </summary>
    public bool Remove(UaTcpConnection connection)
    {
        lock (_lock) return _open.Remove(connection);
    }

    /// <summary>The connections that have not activated a session yet, for the handshake deadlines.</summary>
    public List<UaTcpConnection> NotActivated()
    {
        lock (_lock) return _open.FindAll(c => !c.IsActivated);
    }

    /// <summary>The address a peer is counted by: IPv4 for an IPv4-mapped IPv6 address, so one host counts once.</summary>
    public static IPAddress? AddressOf(EndPoint? endPoint) =>
        endPoint is IPEndPoint ip ? (ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address) : null;
}
