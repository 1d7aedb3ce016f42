using System.Net;
using System.Net.Sockets;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Conditions;
using ThermalPlant.OpcUa.Server.Events;
using ThermalPlant.OpcUa.Server.History;
using ThermalPlant.OpcUa.Server.Services;
using ThermalPlant.OpcUa.Server.Sessions;
using ThermalPlant.OpcUa.Server.Users;

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
    private readonly SemaphoreSlim _connections;
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
    /// into <paramref name="history"/> (a bounded in-memory store when none is given).
    /// </summary>
    public OpcUaServer(OpcUaServerOptions options, TimeProvider? time = null, IHistoryStore? history = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time ?? TimeProvider.System;
        _listener = new TcpListener(options.Address, options.Port);
        _connections = new SemaphoreSlim(options.MaxConnections, options.MaxConnections);
        AddressSpace = new UaAddressSpace(options.ApplicationUri, history);
        ServerObject.Populate(AddressSpace, options, _time);
        Events = new EventManager(AddressSpace, _time);
        _security = new ServerSecurity(options, _time);
        _sessions = new SessionManager(options.MaxSessions, options.MinSessionTimeout, options.MaxSessionTimeout, options.MaxPublishRequestsPerSession, _time);
        _users = new UserAuthenticator(options.Users, _security.Certificate, _time);
        var discovery = new DiscoveryService(options, _security, () => Port, _users);
        var attributes = new AttributeService(AddressSpace, options.MaxNodesPerOperation);
        _subscriptions = new SubscriptionService(AddressSpace, attributes, Events, options, _time);
        Conditions = new ConditionManager(AddressSpace, Events, _time, _subscriptions.IsOwnedBy);
        _dispatcher = new ServiceDispatcher(
            discovery,
            new SessionService(_sessions, discovery, options, _security, _subscriptions, _users, OnAccessDenied, OnIdentityChanged),
            _sessions,
            attributes,
            new WriteService(AddressSpace, options.MaxNodesPerOperation, _time),
            new ViewService(AddressSpace, options.MaxNodesPerOperation, options.MaxContinuationPoints),
            _subscriptions,
            new HistoryService(AddressSpace, AddressSpace.History, options.MaxNodesPerOperation, options.MaxContinuationPoints),
            new MethodService(AddressSpace, options.MaxNodesPerOperation),
            _time,
            OnAccessDenied,
            _stopping.Token);
    }

    /// <summary>Raised when a login or a request is refused for want of identity or permission, with the reason, for the host's log.</summary>
    public event Action<AccessDenied>? AccessDenied;

    /// <summary>Raised when a session is re-activated for another user or role, for the host's log.</summary>
    public event Action<IdentityChanged>? IdentityChanged;

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
    public int ConnectionCount => _options.MaxConnections - _connections.CurrentCount;

    /// <summary>Opens the port and starts serving.</summary>
    public void Start()
    {
        _listener.Start();
        _acceptLoop = AcceptAsync(_stopping.Token);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync();
        _listener.Stop();
        if (_acceptLoop is not null) await _acceptLoop;
        _stopping.Dispose();
        _users.Dispose();
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
                if (!_connections.Wait(0, CancellationToken.None))
                {
                    socket.Dispose();
                    continue;
                }
                clients.RemoveAll(t => t.IsCompleted);
                clients.Add(ServeAsync(socket, cancellationToken));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
        await Task.WhenAll(clients);
    }

    private async Task ServeAsync(Socket socket, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Yield();
            var connection = new UaTcpConnection(socket, _options, _security, _dispatcher, () => (uint)Interlocked.Increment(ref _nextChannelId), _time);
            await connection.RunAsync(cancellationToken);
        }
        finally
        {
            _connections.Release();
        }
    }
}
