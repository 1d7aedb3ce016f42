using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Client;

/// <summary>
/// One deadline over the steps of establishing a connection (TCP connect, Hello/Acknowledge, OpenSecureChannel,
/// GetEndpoints, CreateSession, ActivateSession): a server that accepts the connection and then says nothing costs
/// the caller <see cref="OpcUaClientOptions.HandshakeTimeout"/>, not the time until the peer closes. A step cut short
/// by it, or whose request timed out, is a BadTimeout naming the step.
/// </summary>
internal sealed class HandshakeDeadline : IDisposable
{
    private readonly string _endpointUrl;
    private readonly TimeSpan _limit;
    private readonly CancellationTokenSource _expiry;
    private readonly CancellationTokenSource _linked;

    public HandshakeDeadline(string endpointUrl, TimeSpan limit, TimeProvider time, CancellationToken cancellationToken)
    {
        _endpointUrl = endpointUrl;
        _limit = limit;
        _expiry = new CancellationTokenSource(limit, time);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _expiry.Token);
    }

    /// <summary>Fires when the deadline passes or the caller cancels.</summary>
    public CancellationToken Token => _linked.Token;

    /// <summary>Runs one step under the deadline.</summary>
    public async Task<T> RunAsync<T>(string step, Func<CancellationToken, Task<T>> action)
    {
        try
        {
            return await action(_linked.Token);
        }
        catch (OperationCanceledException) when (_expiry.IsCancellationRequested)
        {
            throw new OpcUaException(StatusCodes.BadTimeout, $"{step} with {_endpointUrl} did not complete within the handshake deadline of {_limit.TotalSeconds:0.###} s (HandshakeTimeout)");
        }
        catch (OpcUaException ex) when (ex.Status.Code == StatusCodes.BadTimeout)
        {
            // A request's own timeout (RequestTimeout, shorter than the deadline): the same error, naming the step.
            var reason = ex.Message.StartsWith($"{ex.Status}: ", StringComparison.Ordinal) ? ex.Message[(ex.Status.ToString().Length + 2)..] : ex.Message;
            throw new OpcUaException(StatusCodes.BadTimeout, $"{step} with {_endpointUrl}: {reason}");
        }
    }

    /// <summary>Runs one step under the deadline.</summary>
    public Task RunAsync(string step, Func<CancellationToken, Task> action) =>
        RunAsync(step, async token =>
        {
            await action(token);
            return true;
        });

    /// <inheritdoc />
    public void Dispose()
    {
        _linked.Dispose();
        _expiry.Dispose();
    }
}
