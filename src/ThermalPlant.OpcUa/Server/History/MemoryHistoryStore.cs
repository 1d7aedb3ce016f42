using System.Collections.Concurrent;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.History;

/// <summary>
/// History in memory: per variable a ring of at most <c>capacity</c> values ordered by source timestamp, values older
/// than <c>retention</c> behind the newest dropped. A value with the timestamp of one already kept replaces it, so a
/// source polled faster than it samples records each sample once.
/// </summary>
public sealed class MemoryHistoryStore(int capacity, TimeSpan retention) : IHistoryStore
{
    private readonly ConcurrentDictionary<NodeId, Ring> _rings = new();

    /// <summary>A store of 3,600 values per variable for at most one hour.</summary>
    public MemoryHistoryStore()
        : this(3600, TimeSpan.FromHours(1))
    {
    }

    /// <summary>Values kept for <paramref name="node"/>.</summary>
    public int Count(NodeId node) => _rings.TryGetValue(node, out var ring) ? ring.Count : 0;

    /// <inheritdoc />
    public void Append(NodeId node, DataValue value)
    {
        if (value.SourceTimestamp is not { } time) return;
        var ring = _rings.GetOrAdd(node, _ => new Ring(capacity));
        lock (ring) ring.Insert(time, value, retention);
    }

    /// <inheritdoc />
    public bool ReadRaw(NodeId node, DateTime from, DateTime to, int skip, int max, List<DataValue> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        if (!_rings.TryGetValue(node, out var ring)) return false;
        lock (ring)
        {
            var index = ring.FirstAtOrAfter(from) + skip;
            var taken = 0;
            for (; index < ring.Count && ring.TimeAt(index) <= to; index++)
            {
                if (taken == max) return true;
                into.Add(ring[index]);
                taken++;
            }
            return false;
        }
    }

    /// <inheritdoc />
    public DataValue? AtOrBefore(NodeId node, DateTime time)
    {
        if (!_rings.TryGetValue(node, out var ring)) return null;
        lock (ring)
        {
            var index = ring.FirstAfter(time) - 1;
            return index >= 0 ? ring[index] : null;
        }
    }

    /// <inheritdoc />
    public DataValue? AtOrAfter(NodeId node, DateTime time)
    {
        if (!_rings.TryGetValue(node, out var ring)) return null;
        lock (ring)
        {
            var index = ring.FirstAtOrAfter(time);
            return index < ring.Count ? ring[index] : null;
        }
    }

    /// <summary>
    /// A circular buffer sorted by time; callers lock it. It starts small and doubles up to its capacity, since
    /// DataValues are stored inline and a full ring per variable up front would cost the whole capacity at once.
    /// </summary>
    private sealed class Ring(int capacity)
    {
        private const int InitialSize = 64;

        private DataValue[] _values = new DataValue[Math.Min(capacity, InitialSize)];
        private DateTime[] _times = new DateTime[Math.Min(capacity, InitialSize)];
        private int _head;

        public int Count { get; private set; }

        public DataValue this[int index] => _values[Slot(index)];

        public DateTime TimeAt(int index) => _times[Slot(index)];

        public void Insert(DateTime time, DataValue value, TimeSpan retention)
        {
            var at = FirstAtOrAfter(time);
            if (at < Count && TimeAt(at) == time)
            {
                _values[Slot(at)] = value;
                return;
            }
            if (Count == _values.Length && Count < capacity) Grow();
            if (Count == _values.Length)
            {
                // Full: the oldest goes, unless the new value is older than everything kept.
                if (at == 0) return;
                _head = (_head + 1) % _values.Length;
                Count--;
                at--;
            }
            for (var i = Count; i > at; i--)
            {
                _values[Slot(i)] = _values[Slot(i - 1)];
                _times[Slot(i)] = _times[Slot(i - 1)];
            }
            _values[Slot(at)] = value;
            _times[Slot(at)] = time;
            Count++;
            var oldest = TimeAt(Count - 1) - retention;
            while (Count > 0 && TimeAt(0) < oldest)
            {
                _values[_head] = default;
                _head = (_head + 1) % _values.Length;
                Count--;
            }
        }

        public int FirstAtOrAfter(DateTime time)
        {
            int low = 0, high = Count;
            while (low < high)
            {
                var mid = (low + high) >>> 1;
                if (TimeAt(mid) < time) low = mid + 1; else high = mid;
            }
            return low;
        }

        public int FirstAfter(DateTime time)
        {
            int low = 0, high = Count;
            while (low < high)
            {
                var mid = (low + high) >>> 1;
                if (TimeAt(mid) <= time) low = mid + 1; else high = mid;
            }
            return low;
        }

        private int Slot(int index) => (_head + index) % _values.Length;

        private void Grow()
        {
            var size = (int)Math.Min((long)_values.Length * 2, capacity);
            var values = new DataValue[size];
            var times = new DateTime[size];
            for (var i = 0; i < Count; i++)
            {
                values[i] = _values[Slot(i)];
                times[i] = _times[Slot(i)];
            }
            _values = values;
            _times = times;
            _head = 0;
        }
    }
}
