namespace ThermalPlant.OpcUa.Server.Users;

/// <summary>
/// Refuses a user name for a while after too many wrong passwords in a window, so a guesser cannot keep the
/// password checks busy for one account. Names that do not exist are tracked like names that do, so a lockout
/// tells nothing about which names exist; the refusal is the same BadUserAccessDenied as a wrong password.
/// </summary>
/// <remarks>
/// At most <see cref="MaxTrackedNames"/> names are remembered. When an attacker fills the table with invented
/// names, further names go untracked rather than locking everyone out; the concurrency bound still holds then.
/// </remarks>
internal sealed class FailedLoginLockout(int threshold, TimeSpan window, TimeSpan duration, TimeProvider time)
{
    /// <summary>How many user names are tracked at most.</summary>
    public const int MaxTrackedNames = 10_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Failures> _byName = new(StringComparer.Ordinal);

    /// <summary>When <paramref name="userName"/> may try again, or null when it may now.</summary>
    public DateTimeOffset? LockedUntil(string userName)
    {
        if (threshold <= 0) return null;
        var now = time.GetUtcNow();
        lock (_lock)
        {
            return _byName.TryGetValue(userName, out var failures) && failures.LockedUntil > now ? failures.LockedUntil : null;
        }
    }

    /// <summary>Counts a wrong password (or an unknown name); the <c>threshold</c>-th within the window locks the name.</summary>
    public void Failed(string userName)
    {
        if (threshold <= 0) return;
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_byName.TryGetValue(userName, out var failures))
            {
                if (_byName.Count >= MaxTrackedNames && !Purge(now)) return;
                failures = new Failures();
                _byName[userName] = failures;
            }
            if (now - failures.WindowStart > window)
            {
                failures.WindowStart = now;
                failures.Count = 0;
            }
            if (++failures.Count < threshold) return;
            failures.LockedUntil = now + duration;
            failures.Count = 0;
        }
    }

    /// <summary>Forgets the failures of a user who logged in.</summary>
    public void Succeeded(string userName)
    {
        lock (_lock) _byName.Remove(userName);
    }

    /// <summary>Drops names neither locked nor within a window; whether room was made.</summary>
    private bool Purge(DateTimeOffset now)
    {
        foreach (var (name, failures) in _byName)
        {
            if (failures.LockedUntil <= now && now - failures.WindowStart > window) _byName.Remove(name);
        }
        return _byName.Count < MaxTrackedNames;
    }

    private sealed class Failures
    {
        public DateTimeOffset WindowStart { get; set; } = DateTimeOffset.MinValue;

        public int Count { get; set; }

        public DateTimeOffset LockedUntil { get; set; } = DateTimeOffset.MinValue;
    }
}
