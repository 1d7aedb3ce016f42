using ThermalPlant.OpcUa.Client;

namespace ThermalPlant.OpcUa.Tests.Events;

/// <summary>Reads a subscription's events in the background so a test can wait for a count of them.</summary>
internal sealed class EventCollector : IDisposable
{
    private readonly List<EventNotification> _events = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;

    public EventCollector(OpcUaSubscription subscription)
    {
        _reading = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in subscription.ReadEventsAsync(_stop.Token))
                {
                    lock (_events) _events.Add(e);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    public List<EventNotification> Snapshot()
    {
        lock (_events) return [.. _events];
    }

    /// <summary>The events once at least <paramref name="count"/> arrived; fails after 10 s with what did arrive.</summary>
    public async Task<List<EventNotification>> WaitForAsync(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            var snapshot = Snapshot();
            if (snapshot.Count >= count) return snapshot;
            await Task.Delay(20);
        }
        var got = Snapshot();
        Assert.Fail($"expected {count} events, got {got.Count}");
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
