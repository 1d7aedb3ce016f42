namespace ThermalPlant.OpcUa.Server;

/// <summary>
/// The requests one connection has running off its read loop (<see cref="OpcUaServerOptions.MaxBackgroundRequestsPerConnection"/>):
/// a peer that sends slow requests faster than they finish holds at most <paramref name="limit"/> thread-pool work items,
/// and is told BadServerTooBusy for the next one instead of piling up work the server cannot refuse later.
/// </summary>
internal sealed class BackgroundRequests(int limit)
{
    private int _running;

    /// <summary>The most requests that may run at once.</summary>
    public int Limit => limit;

    /// <summary>Takes a slot; false when all <see cref="Limit"/> are taken.</summary>
    public bool TryStart()
    {
        if (Interlocked.Increment(ref _running) <= limit) return true;
        Interlocked.Decrement(ref _running);
        return false;
    }

    /// <summary>Gives back the slot of a request that was answered (or whose connection is gone).</summary>
    public void End() => Interlocked.Decrement(ref _running);
}
