using System.Net;
using System.Net.Sockets;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Conditions;
using ThermalPlant.OpcUa.Server.Events;
using ThermalPlant.OpcUa.Server.History;
using ThermalPlant.OpcUa.Server.Services;
using ThermalPlant.OpcUa.Server.Sessions;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server;

/// <summary>
/// An OPC UA server over UA TCP (opc.tcp) with the security policies and modes its options offer, anonymous sessions
/// and, when users are configured, user name and X.509 user logins with roles (<see cref="OpcUaServerOptions.Users"/>): discovery, sessions,
/// browse, read, write, subscriptions and history over an in-memory <see cref="UaAddressSpace"/> that the host fills
/// and updates.
/// </summary>
public sealed class OpcUaServer : IAsyncDisposable
{
    private readonly OpcUaServerOptions _options;
    private readonly TimeProvider _time;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConnectionTable _connections;
    private readonly long[] _refusals = new long[Enum.GetValues<ConnectionRefusal>().Length];
    private ITimer? _deadlines;
    private readonly ServiceDispatcher _dispatcher;
    private readonly SessionManager _sessions;
    private readonly SubscriptionService _subscriptions;
    private readonly ServerSecurity _security;
    private readonly UserAuthenticator _users;
    private Task? _acceptLoop;
    private int _nextChannelId;
    private int _disposed;

    /// <summary>
    /// Creates the server and its address space; <see cref="Start"/> opens the port. Historizing variables record
    /// into <paramref name="history"/>, and every event raised into <paramref name="eventHistory"/> (bounded in-memory
    /// stores when none are given).
    /// </summary>
    public OpcUaServer(OpcUaServerOptions options, TimeProvider? time = null, IHistoryStore? history = null, IEventHistoryStore? eventHistory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        CheckLimits(options);
        _options = options;
        _time = time ?? TimeProvider.System;
        _listener = new TcpListener(options.Address, options.Port);
        _connections = new ConnectionTable(options.MaxConnections, options.MaxConnectionsPerAddress);
        AddressSpace = new UaAddressSpace(options.ApplicationUri, history);
        ServerObject.Populate(AddressSpace, options, _time);
        Events = new EventManager(AddressSpace, _time, eventHistory ?? new MemoryEventHistoryStore());
        _security = new ServerSecurity(options, _time, rejected => CertificateRejected?.Invoke(rejected));
        _sessions = new SessionManager(options.MaxSessions, options.MinSessionTimeout, options.MaxSessionTimeout, options.MaxPublishRequestsPerSession, _time);
        _users = new UserAuthenticator(options.Users, _security.Certificate, _time);
        var discovery = new DiscoveryService(options, _security, () => Port, _users);
        var attributes = new AttributeService(AddressSpace, options.MaxNodesPerOperation, _time);
        _subscriptions = new SubscriptionService(AddressSpace, attributes, Events, options, _time, failed => SubscriptionFailed?.Invoke(failed));
        Conditions = new ConditionManager(AddressSpace, Events, _time, _subscriptions.IsOwnedBy);
        _dispatcher = new ServiceDispatcher(
            discovery,
            new SessionService(_sessions, discovery, options, _security, _subscriptions, _users, OnAccessDenied, OnIdentityChanged),
            _sessions,
            attributes,
            new WriteService(AddressSpace, options.MaxNodesPerOperation, _time),
            new ViewService(AddressSpace, options.MaxNodesPerOperation, options.MaxContinuationPoints, options.MaxReferencesPerNode),
            _subscriptions,
            new HistoryService(AddressSpace, AddressSpace.History, Events, options),
            options,
            new MethodService(AddressSpace, options.MaxNodesPerOperation),
            _security,
            _time,
            OnAccessDenied,
            failed => ServiceFailed?.Invoke(failed),
            _stopping.Token);
    }

    /// <summary>Raised when a login or a request is refused for want of identity or permission, with the reason, for the host's log.</summary>
    public event Action<AccessDenied>? AccessDenied;

    /// <summary>Raised when a session is re-activated for another user or role, for the host's log.</summary>
    public event Action<IdentityChanged>? IdentityChanged;

    /// <summary>
    /// Raised once per connection refused or closed by the connection limits (per address, total, handshake
    /// deadlines), for the host's log; <see cref="Refusals"/> counts them.
    /// </summary>
    public event Action<ConnectionRefused>? ConnectionRefused;

    /// <summary>Raised once per client certificate refused on a secure channel (subject, thumbprint, rejected-store file), for the host's log.</summary>
    public event Action<CertificateRejected>? CertificateRejected;

    /// <summary>Raised when a request failed with an unexpected exception (answered BadInternalError), for the host's log.</summary>
    public event Action<ServiceFailed>? ServiceFailed;

    /// <summary>Raised when a subscription's publishing cycle failed unexpectedly (the subscription was deleted), for the host's log.</summary>
    public event Action<SubscriptionFailed>? SubscriptionFailed;

    /// <summary>The bound on concurrent password checks, for tests to see it held.</summary>
    internal PasswordCheckGate PasswordChecks => _users.PasswordChecks;

    /// <summary>Raises events to the clients subscribed to them; the Server object is a notifier from the start.</summary>
    public EventManager Events { get; }

    /// <summary>The alarms: a host adds and drives them, clients acknowledge, confirm, comment and refresh them.</summary>
    public ConditionManager Conditions { get; }

    /// <summary>The nodes served.</summary>
    public UaAddressSpace AddressSpace { get; }

    /// <summary>The port listened on.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Sessions open now.</summary>
    public int SessionCount => _sessions.Count;

    /// <summary>Subscriptions alive now.</summary>
    public int SubscriptionCount => _subscriptions.SubscriptionCount;

    /// <summary>Monitored items of all subscriptions.</summary>
    public int MonitoredItemCount => _subscriptions.MonitoredItemCount;

    /// <summary>The application instance certificate clients see; null when only SecurityPolicy None is offered.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate => _security.Certificate;

    /// <summary>Connections open now.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Connections refused or closed so far for <paramref name="kind"/>, for the host's metrics.</summary>
    public long Refusals(ConnectionRefusal kind) => Interlocked.Read(ref _refusals[(int)kind]);

    /// <summary>Opens the port and starts serving.</summary>
    public void Start()
    {
        _listener.Start();
        // A quarter of the shorter deadline between checks: a late step is closed at most that much after its deadline.
        var period = TimeSpan.FromTicks(Math.Clamp(Math.Min(_options.HandshakeStepTimeout.Ticks, _options.SessionActivationTimeout.Ticks) / 4, TimeSpan.TicksPerMillisecond * 50, TimeSpan.TicksPerSecond));
        _deadlines = _time.CreateTimer(_ => CloseOverdue(), null, period, period);
        _acceptLoop = AcceptAsync(_stopping.Token);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_deadlines is not null) await _deadlines.DisposeAsync();
        await _stopping.CancelAsync();
        _listener.Stop();
        if (_acceptLoop is not null) await _acceptLoop;
        _stopping.Dispose();
        _users.Dispose();
    }

    private static void CheckLimits(OpcUaServerOptions options)
    {
        (string Name, long Value)[] limits =
        [
            (nameof(options.MaxConnections), options.MaxConnections), (nameof(options.MaxConnectionsPerAddress), options.MaxConnectionsPerAddress),
            (nameof(options.MaxSessions), options.MaxSessions), (nameof(options.MaxNodesPerOperation), options.MaxNodesPerOperation),
            (nameof(options.MaxMonitoredItemsPerCall), options.MaxMonitoredItemsPerCall), (nameof(options.MaxReferencesPerNode), options.MaxReferencesPerNode),
            (nameof(options.MaxContinuationPoints), options.MaxContinuationPoints), (nameof(options.MaxHistoryValuesPerNode), options.MaxHistoryValuesPerNode),
            (nameof(options.MaxHistoryValuesPerResponse), options.MaxHistoryValuesPerResponse), (nameof(options.MaxSubscriptions), options.MaxSubscriptions),
            (nameof(options.MaxSubscriptionsPerSession), options.MaxSubscriptionsPerSession), (nameof(options.MaxMonitoredItems), options.MaxMonitoredItems),
            (nameof(options.MaxMonitoredItemsPerSubscription), options.MaxMonitoredItemsPerSubscription), (nameof(options.MaxQueueSize), options.MaxQueueSize),
            (nameof(options.MaxBackgroundRequestsPerConnection), options.MaxBackgroundRequestsPerConnection),
        ];
        foreach (var (name, value) in limits)
        {
            if (value < 1) throw new ArgumentException($"{name} must be at least 1", nameof(options));
        }
        if (options.HandshakeStepTimeout <= TimeSpan.Zero || options.SessionActivationTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("HandshakeStepTimeout and SessionActivationTimeout must be positive", nameof(options));
        }
    }

    private void OnAccessDenied(AccessDenied denied) => AccessDenied?.Invoke(denied);

    private void OnIdentityChanged(IdentityChanged changed) => IdentityChanged?.Invoke(changed);

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        var clients = new List<Task>();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var socket = await _listener.AcceptSocketAsync(cancellationToken);
                socket.NoDelay = true;
                clients.RemoveAll(t => t.IsCompleted);
                var connection = new UaTcpConnection(socket, _options, _security, _dispatcher, () => (uint)Interlocked.Increment(ref _nextChannelId), _time);
                var refused = _connections.Admit(connection, out var givenUp);
                if (givenUp is not null)
                {
                    // Admit took it out of the table, so no deadline gives it up too; counted before its peer is told.
                    Refuse(ConnectionRefusal.GivenUpForRoom, givenUp.Peer, StatusCodes.BadTcpServerTooBusy, $"closed for a newcomer: all {_options.MaxConnections} connections were taken and this was the oldest without an activated session");
                    givenUp.GiveUp(StatusCodes.BadTcpServerTooBusy, "the server is full; the oldest connection without an activated session is closed for a new one");
                }
                if (refused is { } kind)
                {
                    var reason = kind == ConnectionRefusal.AddressLimit
                        ? $"the address already holds {_options.MaxConnectionsPerAddress} connections"
                        : $"all {_options.MaxConnections} connections have activated sessions";
                    Refuse(kind, connection.Peer, StatusCodes.BadTcpServerTooBusy, reason);
                    clients.Add(UaTcpConnection.RefuseAsync(socket, StatusCodes.BadTcpServerTooBusy, reason, _time, cancellationToken));
                    continue;
                }
                clients.Add(ServeAsync(connection, cancellationToken));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
        await Task.WhenAll(clients);
    }

    private async Task ServeAsync(UaTcpConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Yield();
            await connection.RunAsync(cancellationToken);
        }
        finally
        {
            _connections.Remove(connection);
        }
    }

    /// <summary>Closes the connections whose next handshake step is late (the deadline timer's tick).</summary>
    private void CloseOverdue()
    {
        var now = _time.GetUtcNow();
        foreach (var connection in _connections.NotActivated())
        {
            // Taking it out of the table decides who gives it up (a newcomer may have taken it for room meanwhile); the
            // slot is free at once, and the refusal is counted before the peer is told, so a peer that sees its Error
            // finds it counted. The connection only says why and drains the peer's last bytes.
            if (connection.Overdue(now) is { } reason && _connections.Remove(connection))
            {
                Refuse(ConnectionRefusal.HandshakeTimeout, connection.Peer, StatusCodes.BadTimeout, reason);
                connection.GiveUp(StatusCodes.BadTimeout, reason);
            }
        }
    }

    private void Refuse(ConnectionRefusal kind, EndPoint? peer, StatusCode status, string reason)
    {
        Interlocked.Increment(ref _refusals[(int)kind]);
        ConnectionRefused?.Invoke(new ConnectionRefused(kind, peer, status, reason));
    }
}
