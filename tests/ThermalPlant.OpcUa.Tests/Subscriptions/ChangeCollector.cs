using ThermalPlant.OpcUa.Client;

namespace ThermalPlant.OpcUa.Tests.Subscriptions;

/// <summary>Reads a subscription's data changes in the background so a test can wait for a count of them.</summary>
internal sealed class ChangeCollector : IDisposable
{
    private readonly List<DataChange> _changes = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;

    public ChangeCollector(OpcUaSubscription subscription)
    {
        _reading = Task.Run(async () =>
        {
            try
            {
                await foreach (var change in subscription.ReadAllAsync(_stop.Token))
                {
                    lock (_changes) _changes.Add(change);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    public List<DataChange> Snapshot()
    {
        lock (_changes) return [.. _changes];
    }

    /// <summary>The changes once at least <paramref name="count"/> arrived; fails after 10 s with what did arrive.</summary>
    public async Task<List<DataChange>> WaitForAsync(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            var snapshot = Snapshot();
            if (snapshot.Count >= count) return snapshot;
            await Task.Delay(20);
        }
        var got = Snapshot();
        Assert.Fail($"expected {count} data changes, got {got.Count}: {string.Join(", ", got.Select(c => c.Value.Value))}");
        return got;
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _reading.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        _stop.Dispose();
    }
}
