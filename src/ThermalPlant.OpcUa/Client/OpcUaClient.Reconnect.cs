using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Client;

// Keep-alive and reconnection: a lost channel (or a failed keep-alive) starts one reconnect loop that opens a new
// channel with backoff and re-activates the session there, or creates a new one when the server lost it.
public sealed partial class OpcUaClient
{
    private static readonly ReadValueId[] KeepAliveRead = [new() { NodeId = NodeId.Of(VariableIds.Server_ServerStatus_State), AttributeId = (uint)AttributeId.Value }];
    private bool _reconnecting;
    private Task? _reconnectLoop;
    private Task? _keepAliveLoop;

    /// <summary>Raised when the connection is lost for any reason other than closing the client.</summary>
    public event Action<Exception>? ConnectionLost;

    /// <summary>
    /// Raised when a lost connection has been re-established; the argument is true when the server no longer had the
    /// session and a new one was created (so anything kept in the old session is gone).
    /// </summary>
    public event Action<bool>? Reconnected;

    /// <summary>Raised after a failed reconnection attempt, with the error and the wait before the next one.</summary>
    public event Action<Exception, TimeSpan>? ReconnectFailed;

    private void OnChannelLost(ClientChannel channel, Exception error)
    {
        lock (_stateLock)
        {
            if (_disposed.IsCancellationRequested || _reconnecting || !ReferenceEquals(channel, _channel)) return;
            _reconnecting = true;
            _ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_options.Reconnect)
            {
                _ready.SetException(new OpcUaException(StatusCodes.BadConnectionClosed, $"the connection to {EndpointUrl} was lost: {error.Message}"));
                _ = _ready.Task.Exception;
            }
            else
            {
                _reconnectLoop = ReconnectAsync(channel, _disposed.Token);
            }
        }
        ConnectionLost?.Invoke(error);
    }

    private async Task ReconnectAsync(ClientChannel lost, CancellationToken cancellationToken)
    {
        await Task.Yield();
        await lost.DisposeAsync();
        var delay = _options.ReconnectMinDelay;
        while (!cancellationToken.IsCancellationRequested)
        {
            ClientChannel? channel = null;
            try
            {
                bool recreated;
                // Each attempt gets the handshake deadline, so a server that accepts and stays silent cannot stall the loop.
                using (var deadline = new HandshakeDeadline(EndpointUrl, _options.HandshakeTimeout, _time, cancellationToken))
                {
                    channel = await ClientChannel.OpenAsync(EndpointUrl, _options, _credentials, _time, deadline);
                    recreated = _sessionName is not null && await RestoreSessionAsync(channel, _sessionName, deadline);
                }
                if (recreated) await RestoreSubscriptionsAsync(channel, cancellationToken);
                channel.Lost += OnChannelLost;
                lock (_stateLock)
                {
                    _channel = channel;
                    _reconnecting = false;
                    _ready.TrySetResult();
                }
                Reconnected?.Invoke(recreated);
                return;
            }
            catch (OpcUaException ex)
            {
                if (channel is not null) await channel.DisposeAsync();
                var wait = Jittered(delay);
                ReconnectFailed?.Invoke(ex, wait);
                try
                {
                    await Task.Delay(wait, _time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectMaxDelay.Ticks));
            }
            catch (OperationCanceledException)
            {
                if (channel is not null) await channel.DisposeAsync();
                return;
            }
        }
    }

    /// <summary>Re-activates the session on the new channel; returns true when it had to be created anew.</summary>
    private async Task<bool> RestoreSessionAsync(ClientChannel channel, string sessionName, HandshakeDeadline deadline)
    {
        try
        {
            await deadline.RunAsync("ActivateSession", token => ActivateSessionAsync(channel, _authenticationToken, [Endpoint], token));
            return false;
        }
        catch (OpcUaException ex) when (ex.Status.Code is StatusCodes.BadSessionIdInvalid or StatusCodes.BadSessionClosed or StatusCodes.BadSessionNotActivated)
        {
            await CreateSessionAsync(channel, sessionName, deadline);
            return true;
        }
    }

    private async Task KeepAliveAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(_options.KeepAliveInterval, _time, cancellationToken);
                if (!_ready.Task.IsCompletedSuccessfully) continue;
                var channel = _channel;
                try
                {
                    await CallOnAsync<ReadResponse>(channel, new ReadRequest { NodesToRead = KeepAliveRead, TimestampsToReturn = TimestampsToReturn.Neither }, cancellationToken);
                }
                catch (OpcUaException ex)
                {
                    // A keep-alive that fails for any reason means the channel or the session is unusable: start over.
                    OnChannelLost(channel, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static TimeSpan Jittered(TimeSpan delay) =>
        TimeSpan.FromTicks((long)(delay.Ticks * (0.8 + (0.4 * Random.Shared.NextDouble()))));
}
