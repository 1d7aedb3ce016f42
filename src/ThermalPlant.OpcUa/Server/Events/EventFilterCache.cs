using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Events;

/// <summary>
/// One compiled filter per distinct EventFilter (by its encoded bytes, which clients of one kind send alike), so that
/// the monitored items of every client with the same filter share it and each event is checked, selected and encoded
/// once for all of them (<see cref="CompiledEventFilter.Apply"/>). Entries are held weakly: a filter no item uses any
/// more is collected. Only good filters are kept, and only while the event types are unchanged. Thread-safe.
/// </summary>
internal sealed class EventFilterCache(EventTypes types)
{
    /// <summary>Most distinct filters kept; beyond it (after dropping the collected ones) a filter is compiled for its item alone.</summary>
    public const int MaxEntries = 1024;

    /// <summary>Longest encoded filter kept; a longer one is compiled for its item alone.</summary>
    public const int MaxKeyLength = 8192;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Distinct filters kept now (collected ones included until the next sweep).</summary>
    public int Count
    {
        get
        {
            lock (_lock) return _entries.Count;
        }
    }

    /// <summary>
    /// <see cref="CompiledEventFilter.TryCompile"/> for <paramref name="filter"/>, whose binary encoding is
    /// <paramref name="encoded"/>, returning the filter already compiled for the same bytes when there is one.
    /// </summary>
    public StatusCode Compile(ReadOnlySpan<byte> encoded, EventFilter filter, out CompiledEventFilter? compiled, out EventFilterResult result)
    {
        var key = encoded.Length is > 0 and <= MaxKeyLength ? Convert.ToBase64String(encoded) : null;
        var version = types.Version;
        if (key is not null)
        {
            lock (_lock)
            {
                if (_entries.TryGetValue(key, out var entry) && entry.Version == version && entry.Filter.TryGetTarget(out var shared))
                {
                    compiled = shared;
                    result = entry.Result;
                    return StatusCode.Good;
                }
            }
        }
        var status = CompiledEventFilter.TryCompile(filter, types, out compiled, out result);
        if (key is null || status.IsBad) return status;
        lock (_lock)
        {
            if (_entries.Count >= MaxEntries) Sweep();
            if (_entries.Count < MaxEntries) _entries[key] = new Entry(new WeakReference<CompiledEventFilter>(compiled!), result, version);
        }
        return status;
    }

    private void Sweep()
    {
        foreach (var (key, entry) in _entries)
        {
            if (!entry.Filter.TryGetTarget(out _) || entry.Version != types.Version) _entries.Remove(key);
        }
    }

    private sealed record Entry(WeakReference<CompiledEventFilter> Filter, EventFilterResult Result, int Version);
}
