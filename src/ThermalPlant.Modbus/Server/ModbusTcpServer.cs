using System.Buffers;
using System.Net;
using System.Net.Sockets;
using ThermalPlant.Modbus.Protocol;

namespace ThermalPlant.Modbus.Server;

/// <summary>
/// A small Modbus TCP server over a <see cref="ModbusDataStore"/>, for simulated devices and tests. A
/// malformed MBAP header closes that connection; a bad request gets an exception response; nothing a peer
/// sends allocates beyond one 260-byte frame per connection. Connections are bounded in total and per peer
/// address, a connection idle for <see cref="ModbusServerOptions.IdleTimeout"/> is closed, and when the server is
/// full a newcomer takes the place of a connection that has never sent a request or, failing that, of the one idle
/// longest apart from the longest-standing quarter: held sockets cannot lock a polling client out, and peers on many
/// addresses that keep asking cannot push out the pollers that were there first.
/// </summary>
public sealed class ModbusTcpServer : IAsyncDisposable
{
    private readonly ModbusServerOptions _options;
    private readonly TimeProvider _time;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    // In order of acceptance: admission appends and removal keeps the order, so the first entries have stood longest.
    private readonly List<Connection> _open = [];
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private Task? _acceptLoop;

    /// <summary>Creates the server for <paramref name="store"/>; <see cref="Start"/> opens the port.</summary>
    /// <param name="store">The tables served.</param>
    /// <param name="options">Address, port, unit and connection limits.</param>
    /// <param name="timeProvider">Clock of the idle timeout and of "idle longest" (the system clock by default).</param>
    public ModbusTcpServer(ModbusDataStore store, ModbusServerOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors), nameof(options));
        Store = store;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _listener = new TcpListener(options.Address, options.Port);
    }

    /// <summary>
    /// Raised (on the server's own task) for each connection the server refuses or closes of its own accord, before the
    /// connection is closed: a peer that sees the close finds it reported.
    /// </summary>
    public event Action<ModbusConnectionDropped>? ConnectionDropped;

    /// <summary>The tables this server serves.</summary>
    public ModbusDataStore Store { get; }

    /// <summary>The port listened on (the chosen one when the options asked for 0).</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections open now.</summary>
    public int OpenConnections
    {
        get
        {
            lock (_lock) return _open.Count;
        }
    }

    /// <summary>Opens the port and starts accepting connections.</summary>
    public void Start()
    {
        _listener.Start();
        _acceptLoop = AcceptAsync(_stopping.Token);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        if (_acceptLoop is not null)
        {
            try
            {
                await _acceptLoop;
            }
            catch (OperationCanceledException)
            {
            }
        }
        _stopping.Dispose();
    }

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        var clients = new List<Task>();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var socket = await _listener.AcceptSocketAsync(cancellationToken);
                var connection = Admit(socket);
                if (connection is null) continue;
                clients.RemoveAll(t => t.IsCompleted);
                clients.Add(ServeAsync(connection, cancellationToken));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
        await Task.WhenAll(clients);
    }

    /// <summary>Registers the accepted socket, giving up the connection idle longest when full; null when refused.</summary>
    private Connection? Admit(Socket socket)
    {
        var peer = socket.RemoteEndPoint as IPEndPoint ?? new IPEndPoint(IPAddress.None, 0);
        // An IPv4 peer on a dual-stack socket counts under its IPv4 address.
        var address = peer.Address.IsIPv4MappedToIPv6 ? peer.Address.MapToIPv4() : peer.Address;
        Connection? victim = null;
        ModbusDropReason? refusal = null;
        Connection? admitted = null;
        lock (_lock)
        {
            var held = _perAddress.GetValueOrDefault(address);
            if (held >= _options.MaxConnectionsPerAddress)
            {
                refusal = ModbusDropReason.PerAddressLimit;
            }
            else
            {
                if (_open.Count >= _options.MaxConnections)
                {
                    victim = ChooseVictimUnlocked();
                    if (victim is null) refusal = ModbusDropReason.ServerFull;
                    else RemoveUnlocked(victim);
                }
                if (refusal is null)
                {
                    admitted = new Connection(socket, peer, address, _time);
                    _open.Add(admitted);
                    _perAddress[address] = held + 1;
                }
            }
        }
        // Reported before the socket closes (see ConnectionDropped): a refused peer can read a host's metrics at once.
        if (refusal is { } reason)
        {
            try
            {
                ConnectionDropped?.Invoke(new ModbusConnectionDropped(peer, reason));
            }
            finally
            {
                socket.Dispose();
            }
            return null;
        }
        if (victim is not null)
        {
            victim.Evicted = true;
            try
            {
                ConnectionDropped?.Invoke(new ModbusConnectionDropped(victim.Peer, ModbusDropReason.Evicted));
            }
            finally
            {
                victim.Close();
            }
        }
        return admitted;
    }

    /// <summary>
    /// The connection a newcomer replaces, or null when none may go: the longest-standing connection that has never
    /// sent a whole request (a held socket costs an attacker nothing, so those go first); otherwise the one idle
    /// longest, except the first quarter of <see cref="ModbusServerOptions.MaxConnections"/> in order of acceptance,
    /// whose age no newcomer can match. Never one in the middle of a request.
    /// </summary>
    private Connection? ChooseVictimUnlocked()
    {
        var protectedCount = _options.MaxConnections / 4;
        var answeredSeen = 0;
        Connection? idleLongest = null;
        foreach (var connection in _open)
        {
            if (connection.Busy) continue;
            if (!connection.HasAsked) return connection;
            if (++answeredSeen <= protectedCount) continue;
            if (idleLongest is null || connection.LastActivity < idleLongest.LastActivity) idleLongest = connection;
        }
        return idleLongest;
    }

    /// <summary>Takes the connection out of the counts once; false when it was already (given up for a newcomer).</summary>
    private bool RemoveUnlocked(Connection connection)
    {
        if (!_open.Remove(connection)) return false;
        var left = _perAddress[connection.Address] - 1;
        if (left == 0) _perAddress.Remove(connection.Address); else _perAddress[connection.Address] = left;
        return true;
    }

    private async Task ServeAsync(Connection connection, CancellationToken cancellationToken)
    {
        var frame = ArrayPool<byte>.Shared.Rent(2 * (ModbusLimits.MbapLength + ModbusLimits.MaxPduLength));
        using var stopping = cancellationToken.Register(connection.Close);
        try
        {
            using var stream = new NetworkStream(connection.Socket, ownsSocket: true);
            var request = frame.AsMemory(0, ModbusLimits.MbapLength + ModbusLimits.MaxPduLength);
            var response = frame.AsMemory(ModbusLimits.MbapLength + ModbusLimits.MaxPduLength);
            var token = connection.Deadline.Token;
            while (!cancellationToken.IsCancellationRequested)
            {
                // One deadline over the whole request and its response: a trickled frame or an unread answer is idle time.
                connection.Deadline.CancelAfter(_options.IdleTimeout);
                if (!await ReadFullyAsync(stream, request[..ModbusLimits.MbapLength], token)) return;
                var header = Mbap.Read(request.Span);
                await stream.ReadExactlyAsync(request.Slice(ModbusLimits.MbapLength, header.Length - 1), token);
                connection.Busy = true;
                connection.HasAsked = true;
                connection.LastActivity = _time.GetTimestamp();
                if (_options.UnitId is { } unit && header.Unit != unit)
                {
                    // Not addressed to this device: a gateway would answer 0x0B; a device stays silent.
                    connection.Busy = false;
                    continue;
                }
                var length = RequestHandler.Handle(request.Span.Slice(ModbusLimits.MbapLength, header.Length - 1), response.Span[ModbusLimits.MbapLength..], Store);
                Mbap.Write(response.Span, header.TransactionId, header.Unit, length);
                await stream.WriteAsync(response[..(ModbusLimits.MbapLength + length)], token);
                connection.Busy = false;
            }
        }
        catch (Exception ex) when (ex is ModbusProtocolException or IOException or SocketException or OperationCanceledException or EndOfStreamException or ObjectDisposedException)
        {
            // A malformed frame, a vanished peer, an idle timeout, eviction or shutdown: this connection ends, the server goes on.
            if (connection.Deadline.IsCancellationRequested && !connection.Evicted && !cancellationToken.IsCancellationRequested)
            {
                ConnectionDropped?.Invoke(new ModbusConnectionDropped(connection.Peer, ModbusDropReason.IdleTimeout));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
            lock (_lock) RemoveUnlocked(connection);
            connection.Close();
            connection.Deadline.Dispose();
        }
    }

    /// <summary>Reads exactly the buffer; false when the peer closed cleanly before sending anything.</summary>
    private static async Task<bool> ReadFullyAsync(NetworkStream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = await stream.ReadAsync(buffer, cancellationToken);
        if (read == 0) return false;
        if (read < buffer.Length) await stream.ReadExactlyAsync(buffer[read..], cancellationToken);
        return true;
    }

    /// <summary>One accepted socket and what the admission policy needs to know of it.</summary>
    private sealed class Connection(Socket socket, IPEndPoint peer, IPAddress address, TimeProvider time)
    {
        private long _lastActivity = time.GetTimestamp();
        private volatile bool _busy;
        private volatile bool _evicted;
        private volatile bool _hasAsked;

        public Socket Socket { get; } = socket;

        public IPEndPoint Peer { get; } = peer;

        public IPAddress Address { get; } = address;

        /// <summary>Cancelled by the idle timeout; the socket is closed for eviction and shutdown.</summary>
        public CancellationTokenSource Deadline { get; } = new(Timeout.InfiniteTimeSpan, time);

        /// <summary>When the last whole request arrived (or the connection was accepted), in <see cref="TimeProvider"/> ticks.</summary>
        public long LastActivity
        {
            get => Interlocked.Read(ref _lastActivity);
            set => Interlocked.Exchange(ref _lastActivity, value);
        }

        /// <summary>True between a whole request and the end of its response: never given up then.</summary>
        public bool Busy
        {
            get => _busy;
            set => _busy = value;
        }

        /// <summary>True once a whole request has arrived on it.</summary>
        public bool HasAsked
        {
            get => _hasAsked;
            set => _hasAsked = value;
        }

        public bool Evicted
        {
            get => _evicted;
            set => _evicted = value;
        }

        /// <summary>Closes the socket, which ends any read or write pending on it; safe to call more than once.</summary>
        public void Close() => Socket.Dispose();
    }
}
