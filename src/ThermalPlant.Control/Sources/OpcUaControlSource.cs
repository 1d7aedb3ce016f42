using Microsoft.Extensions.Logging;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.Control.Sources;

/// <summary>
/// Reads one OPC UA variable as a control link's set point. It connects on the first read (channel and session within
/// <see cref="OpcUaSourceOptions.ReadTimeout"/>, so a server that accepts and never answers fails naming the step),
/// lets the client re-establish a lost connection, and when connecting fails waits with a doubling delay so that an
/// absent server costs one refused connection per delay rather than one per control cycle. Each change of the
/// connection's state is raised through <see cref="StateChanged"/>.
/// </summary>
public sealed partial class OpcUaControlSource : IControlSource, IAsyncDisposable
{
    private readonly OpcUaSourceOptions _options;
    private readonly NodeId _node;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private OpcUaClient? _client;
    private TimeSpan _reconnectDelay;
    private DateTimeOffset _nextAttempt = DateTimeOffset.MinValue;

    /// <summary>Creates the source; nothing connects until the first read.</summary>
    /// <param name="options">Endpoint, node and timeouts; validated here.</param>
    /// <param name="logger">Where connection changes are logged.</param>
    /// <param name="time">Clock for timeouts and reconnection delays.</param>
    public OpcUaControlSource(OpcUaSourceOptions options, ILogger<OpcUaControlSource> logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        options.Validate("Source", errors);
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors), nameof(options));
        _options = options;
        _node = NodeId.Parse(options.NodeId);
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _reconnectDelay = options.ReconnectDelay;
    }

    /// <inheritdoc />
    public string Description => $"{_options.EndpointUrl} {_options.NodeId}";

    /// <summary>The connection's state now.</summary>
    public SourceConnectionState State { get; private set; } = SourceConnectionState.Connecting;

    /// <summary>Raised when <see cref="State"/> changes, with the error that caused it (null when connected).</summary>
    public event Action<SourceConnectionState, string?>? StateChanged;

    /// <inheritdoc />
    public async Task<SourceReading> ReadAsync(CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.ReadTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            // Connecting has its own deadline (HandshakeTimeout = ReadTimeout), whose error names the step that stalled.
            var client = await ConnectedAsync(cancellationToken);
            if (client is null) return SourceReading.Unreachable($"not connected to {_options.EndpointUrl}; next attempt at {_nextAttempt:HH:mm:ss}");
            // While the client re-establishes a lost connection a read would only wait; the cycle goes on without it.
            if (!client.IsConnected) return SourceReading.Unreachable($"the connection to {_options.EndpointUrl} was lost; reconnecting");
            var value = await client.ReadValueAsync(_node, linked.Token);
            return Interpret(value);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return SourceReading.Unreachable($"no answer from {_options.EndpointUrl} within {_options.ReadTimeout.TotalMilliseconds} ms");
        }
        catch (Exception ex) when (ex is OpcUaException or IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            return SourceReading.Unreachable($"{_options.EndpointUrl}: {ex.Message}");
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_client is not null) await _client.DisposeAsync();
        _client = null;
    }

    private async Task<OpcUaClient?> ConnectedAsync(CancellationToken cancellationToken)
    {
        if (_client is not null) return _client;
        if (_time.GetUtcNow() < _nextAttempt) return null;
        OpcUaClient? client = null;
        try
        {
            var clientOptions = _options.Security().ApplyTo(new OpcUaClientOptions
            {
                RequestTimeout = _options.ReadTimeout,
                HandshakeTimeout = _options.ReadTimeout,
                ApplicationName = "Thermal Plant control link",
                ApplicationUri = "urn:thermalplant:control",
            });
            SetState(SourceConnectionState.Connecting, null);
            // The handshake deadline bounds connecting, so its error names the step that did not answer.
            client = await OpcUaClient.ConnectAsync(_options.EndpointUrl, clientOptions, _time, "thermalplant-control", cancellationToken);
        }
        catch (Exception ex) when (ex is OpcUaException or IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            if (client is not null) await client.DisposeAsync();
            _nextAttempt = _time.GetUtcNow() + _reconnectDelay;
            LogConnectFailed(_logger, _options.EndpointUrl, ex.Message, _reconnectDelay.TotalSeconds);
            _reconnectDelay = TimeSpan.FromTicks(Math.Min(_reconnectDelay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
            SetState(SourceConnectionState.Backoff, ex.Message);
            throw;
        }
        _reconnectDelay = _options.ReconnectDelay;
        LogConnected(_logger, _options.EndpointUrl, _options.NodeId);
        client.ConnectionLost += ex => SetState(SourceConnectionState.Connecting, ex.Message);
        client.Reconnected += _ => SetState(SourceConnectionState.Connected, null);
        _client = client;
        SetState(SourceConnectionState.Connected, null);
        return client;
    }

    private void SetState(SourceConnectionState state, string? problem)
    {
        State = state;
        StateChanged?.Invoke(state, problem);
    }

    private static SourceReading Interpret(DataValue value)
    {
        if (!value.Status.IsGood) return SourceReading.Bad($"status {value.Status}");
        if (!value.Value.TryGetNumber(out var n) || !double.IsFinite(n)) return SourceReading.Bad($"value '{value.Value.Value}' ({value.Value.Type}) is not a finite number");
        return SourceReading.Good(n, value.SourceTimestamp is { } ts ? new DateTimeOffset(DateTime.SpecifyKind(ts, DateTimeKind.Utc)) : null);
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Connected to the control source {Endpoint}, reading {Node}")]
    private static partial void LogConnected(ILogger logger, string endpoint, string node);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "Cannot connect to the control source {Endpoint}: {Problem}. Next attempt in {DelaySeconds} s")]
    private static partial void LogConnectFailed(ILogger logger, string endpoint, string problem, double delaySeconds);
}
