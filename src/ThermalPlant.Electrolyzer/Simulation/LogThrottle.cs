namespace ThermalPlant.Electrolyzer.Simulation;

/// <summary>
/// Lets the first event of each kind through per window and counts the rest, so a flood of refused connections costs
/// one log line per kind and window instead of one per connection. The kinds are a small fixed set (an enum), so the
/// state is bounded whatever a peer does.
/// </summary>
/// <typeparam name="TKind">The kind of event, e.g. why a connection was closed.</typeparam>
/// <param name="window">At most one line per kind in this time.</param>
/// <param name="time">The clock of the windows.</param>
internal sealed class LogThrottle<TKind>(TimeSpan window, TimeProvider time)
    where TKind : notnull
{
    private readonly Lock _lock = new();
    private readonly Dictionary<TKind, (long LoggedAt, int Suppressed)> _kinds = [];

    /// <summary>
    /// True when this event should be logged, with the number of events of its kind that were not logged since the
    /// last line; false when it only counts.
    /// </summary>
    public bool ShouldLog(TKind kind, out int suppressedBefore)
    {
        var now = time.GetTimestamp();
        lock (_lock)
        {
            if (_kinds.TryGetValue(kind, out var state) && time.GetElapsedTime(state.LoggedAt, now) < window)
            {
                _kinds[kind] = (state.LoggedAt, state.Suppressed + 1);
                suppressedBefore = 0;
                return false;
            }
            suppressedBefore = state.Suppressed;
            _kinds[kind] = (now, 0);
            return true;
        }
    }
}
