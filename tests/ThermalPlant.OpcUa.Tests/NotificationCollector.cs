namespace ThermalPlant.OpcUa.Tests;

/// <summary>Reads a subscription's notifications of one kind in the background so a test can wait for a count of them.</summary>
/// <typeparam name="T">The notification read (a data change, an event).</typeparam>
internal abstract class NotificationCollector<T> : IDisposable
{
    private readonly List<T> _items = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;
    private readonly string _what;

    /// <summary>Starts reading <paramref name="read"/>; <paramref name="what"/> names the notifications in a failure.</summary>
    protected NotificationCollector(Func<CancellationToken, IAsyncEnumerable<T>> read, string what)
    {
        _what = what;
        _reading = Task.Run(async () =>
        {
            try
            {
                await foreach (var item in read(_stop.Token))
                {
                    lock (_items) _items.Add(item);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    public List<T> Snapshot()
    {
        lock (_items) return [.. _items];
    }

    /// <summary>The notifications once at least <paramref name="count"/> arrived; fails after 10 s with what did arrive.</summary>
    public Task<List<T>> WaitForAsync(int count) => WaitUntilAsync(got => got.Count >= count, $"{count} {_what}");

    /// <summary>The notifications once <paramref name="done"/> holds for them; fails after 10 s naming <paramref name="expected"/> and what did arrive.</summary>
    public async Task<List<T>> WaitUntilAsync(Func<List<T>, bool> done, string expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            var snapshot = Snapshot();
            if (done(snapshot)) return snapshot;
            await Task.Delay(20);
        }
        var got = Snapshot();
        Assert.Fail($"expected {expected}, got {got.Count}{Describe(got)}");
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
        GC.SuppressFinalize(this);
    }

    /// <summary>What a failure shows of the notifications that did arrive, after their count.</summary>
    protected virtual string Describe(List<T> got) => "";
}
