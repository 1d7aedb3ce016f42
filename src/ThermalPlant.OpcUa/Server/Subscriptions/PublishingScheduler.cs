namespace ThermalPlant.OpcUa.Server.Subscriptions;

/// <summary>
/// Runs the publishing cycles of all of a server's subscriptions with one timer per distinct publishing interval, not
/// one per subscription: ten clients at 100 ms wake the server ten times a second instead of a hundred, and their
/// responses go out together. A subscription's cycles follow its interval's timer, so its first cycle comes at most
/// one interval after it joined. Thread-safe: a tick reads its subscriptions from an array replaced on every change,
/// without a lock; callers may hold a subscription's lock when they join or leave (never the other way round).
/// </summary>
internal sealed class PublishingScheduler(TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<TimeSpan, Group> _groups = [];

    /// <summary>Distinct publishing intervals in use, one timer each.</summary>
    public int TimerCount
    {
        get
        {
            lock (_lock) return _groups.Count;
        }
    }

    /// <summary>Runs <paramref name="subscription"/>'s cycle every <paramref name="interval"/> until it leaves.</summary>
    public void Join(Subscription subscription, TimeSpan interval)
    {
        lock (_lock)
        {
            if (!_groups.TryGetValue(interval, out var group))
            {
                group = new Group();
                _groups[interval] = group;
                group.Timer = time.CreateTimer(static state => ((Group)state!).Tick(), group, interval, interval);
            }
            group.Members = [.. group.Members, subscription];
        }
    }

    /// <summary>Stops running <paramref name="subscription"/>'s cycle at <paramref name="interval"/>; the last to leave stops the timer.</summary>
    public void Leave(Subscription subscription, TimeSpan interval)
    {
        lock (_lock)
        {
            if (!_groups.TryGetValue(interval, out var group)) return;
            var at = Array.IndexOf(group.Members, subscription);
            if (at < 0) return;
            if (group.Members.Length == 1)
            {
                _groups.Remove(interval);
                group.Timer!.Dispose();
                group.Members = [];
                return;
            }
            var rest = new Subscription[group.Members.Length - 1];
            group.Members.AsSpan(0, at).CopyTo(rest);
            group.Members.AsSpan(at + 1).CopyTo(rest.AsSpan(at));
            group.Members = rest;
        }
    }

    private sealed class Group
    {
        private volatile Subscription[] _members = [];

        public ITimer? Timer { get; set; }

        public Subscription[] Members
        {
            get => _members;
            set => _members = value;
        }

        // Each cycle catches its own failures (Subscription.Cycle), so one subscription cannot stop the others'.
        public void Tick()
        {
            foreach (var subscription in _members) subscription.Cycle();
        }
    }
}
