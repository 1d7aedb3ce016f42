namespace ThermalPlant.OpcUa.Server.Subscriptions;

/// <summary>
/// Runs the publishing cycles of all of a server's subscriptions with one timer per distinct publishing interval, not
/// one per subscription: ten clients at 100 ms wake the server ten times a second instead of a hundred, and their
/// responses go out together. A subscription's cycles follow its interval's timer, so its first cycle comes at most
/// one interval after it joined. Thread-safe: a tick reads its subscriptions from an array made again after a change,
/// not on every join or leave (1,000 sessions joining one by one would copy the array 1,000 times); callers may hold a
/// subscription's lock when they join or leave (never the other way round).
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
            group.Add(subscription);
        }
    }

    /// <summary>Stops running <paramref name="subscription"/>'s cycle at <paramref name="interval"/>; the last to leave stops the timer.</summary>
    public void Leave(Subscription subscription, TimeSpan interval)
    {
        lock (_lock)
        {
            if (!_groups.TryGetValue(interval, out var group) || !group.Remove(subscription)) return;
            if (!group.IsEmpty) return;
            _groups.Remove(interval);
            group.Timer!.Dispose();
        }
    }

    private sealed class Group
    {
        private readonly Lock _lock = new();
        private readonly List<Subscription> _members = [];
        private Subscription[]? _snapshot = [];

        public ITimer? Timer { get; set; }

        public bool IsEmpty
        {
            get
            {
                lock (_lock) return _members.Count == 0;
            }
        }

        public void Add(Subscription subscription)
        {
            lock (_lock)
            {
                _members.Add(subscription);
                _snapshot = null;
            }
        }

        public bool Remove(Subscription subscription)
        {
            lock (_lock)
            {
                if (!_members.Remove(subscription)) return false;
                _snapshot = null;
                return true;
            }
        }

        // Each cycle catches its own failures (Subscription.Cycle), so one subscription cannot stop the others'. The
        // cycles run outside the group's lock: a cycle may make its subscription leave (expired, failed).
        public void Tick()
        {
            Subscription[] members;
            lock (_lock) members = _snapshot ??= [.. _members];
            foreach (var subscription in members) subscription.Cycle();
        }
    }
}
