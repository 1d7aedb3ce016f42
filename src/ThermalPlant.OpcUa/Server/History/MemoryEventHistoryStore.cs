using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Server.Events;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.History;

/// <summary>
/// Event history in memory: at most <c>capacity</c> events ordered by time, the oldest dropped when full, and events
/// older than <c>retention</c> behind the newest dropped. An event arriving out of time order is put in its place
/// (unless it is older than everything kept in a full store, when it is not kept). Each event is kept as its encoded
/// record, and events that reached the same notifiers share one array of them. Records are packed one after another
/// into chunks of 1 MiB, which the garbage collector keeps in its large object heap and never copies, so that kept
/// events cost it nothing per event; a chunk is freed once no kept event is in it. Thread-safe.
/// </summary>
public sealed class MemoryEventHistoryStore : IEventHistoryStore
{
    private const int InitialSize = 256;

    /// <summary>The size of a chunk of records: above the large object threshold (85,000 bytes), so chunks are never moved.</summary>
    private const int ChunkSize = 1 << 20;

    private readonly int _capacity;
    private readonly TimeSpan _retention;
    private readonly Lock _lock = new();
    private Entry[] _events;
    private byte[] _chunk = [];
    private int _chunkUsed;
    private int _head;
    private int _count;
    private long _sequence;
    private NodeId[] _lastNotifiers = [];

    /// <summary>A store of at most <paramref name="capacity"/> events for at most <paramref name="retention"/>.</summary>
    public MemoryEventHistoryStore(int capacity, TimeSpan retention)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(retention, TimeSpan.Zero);
        _capacity = capacity;
        _retention = retention;
        _events = new Entry[Math.Min(capacity, InitialSize)];
    }

    /// <summary>A store of 10,000 events for at most 7 days.</summary>
    public MemoryEventHistoryStore()
        : this(10_000, TimeSpan.FromDays(7))
    {
    }

    /// <summary>Events kept.</summary>
    public int Count
    {
        get
        {
            lock (_lock) return _count;
        }
    }

    /// <inheritdoc />
    public void Append(UaEvent e, IReadOnlyList<NodeId> notifiers)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(notifiers);
        using var record = new BinaryEncoder(1024);
        EventRecord.Encode(record, e, notifiers);
        Append(record.Written, notifiers, EventHistoryPosition.TimeOf(e));
    }

    /// <summary>Keeps an event already encoded (<see cref="EventRecord"/>) at <paramref name="time"/>; the record is copied.</summary>
    internal void Append(ReadOnlySpan<byte> record, IReadOnlyList<NodeId> notifiers, DateTime time)
    {
        lock (_lock)
        {
            if (!SameNotifiers(notifiers)) _lastNotifiers = [.. notifiers];
            var (chunk, offset) = Place(record);
            Insert(new Entry(chunk, offset, record.Length, _lastNotifiers, new EventHistoryPosition(time, ++_sequence)));
        }
    }

    /// <inheritdoc />
    public bool Read(NodeId notifier, DateTime from, DateTime to, EventHistoryPosition? after, bool newestFirst, int max, List<StoredEvent> into)
    {
        ArgumentNullException.ThrowIfNull(notifier);
        ArgumentNullException.ThrowIfNull(into);
        lock (_lock)
        {
            var taken = 0;
            if (!newestFirst)
            {
                var index = after is { } a ? FirstAfter(a) : FirstAfter(new EventHistoryPosition(from, 0));
                for (; index < _count; index++)
                {
                    ref readonly var stored = ref At(index);
                    if (stored.Position.Time < from) continue;
                    if (stored.Position.Time > to) return false;
                    if (Array.IndexOf(stored.Notifiers, notifier) < 0) continue;
                    if (taken == max) return true;
                    into.Add(stored.ToStoredEvent());
                    taken++;
                }
                return false;
            }
            var last = (after is { } b ? FirstAtOrAfter(b) : FirstAfter(new EventHistoryPosition(to, long.MaxValue))) - 1;
            for (var index = last; index >= 0; index--)
            {
                ref readonly var stored = ref At(index);
                if (stored.Position.Time > to) continue;
                if (stored.Position.Time < from) return false;
                if (Array.IndexOf(stored.Notifiers, notifier) < 0) continue;
                if (taken == max) return true;
                into.Add(stored.ToStoredEvent());
                taken++;
            }
            return false;
        }
    }

    /// <summary>Drops the events whose time is before <paramref name="cutoff"/>; returns how many.</summary>
    internal int DropBefore(DateTime cutoff)
    {
        lock (_lock)
        {
            var dropped = 0;
            while (_count > 0 && At(0).Position.Time < cutoff)
            {
                DropOldest();
                dropped++;
            }
            return dropped;
        }
    }

    /// <summary>Every event kept, oldest first (for a file store's compaction).</summary>
    internal List<StoredEvent> Snapshot()
    {
        lock (_lock)
        {
            var all = new List<StoredEvent>(_count);
            for (var i = 0; i < _count; i++) all.Add(At(i).ToStoredEvent());
            return all;
        }
    }

    private ref Entry At(int index) => ref _events[(_head + index) % _events.Length];

    private void Set(int index, in Entry value) => _events[(_head + index) % _events.Length] = value;

    /// <summary>Drops the oldest event; its chunk goes once no kept event is in it.</summary>
    private void DropOldest()
    {
        At(0) = default;
        _head = (_head + 1) % _events.Length;
        _count--;
    }

    private bool SameNotifiers(IReadOnlyList<NodeId> notifiers)
    {
        if (notifiers is NodeId[] array) return _lastNotifiers.AsSpan().SequenceEqual(array);
        if (notifiers.Count != _lastNotifiers.Length) return false;
        for (var i = 0; i < _lastNotifiers.Length; i++)
        {
            if (!_lastNotifiers[i].Equals(notifiers[i])) return false;
        }
        return true;
    }

    /// <summary>Copies <paramref name="record"/> to the end of the current chunk, starting a new one when it does not fit.</summary>
    private (byte[] Chunk, int Offset) Place(ReadOnlySpan<byte> record)
    {
        if (_chunk.Length - _chunkUsed < record.Length)
        {
            _chunk = GC.AllocateUninitializedArray<byte>(Math.Max(ChunkSize, record.Length));
            _chunkUsed = 0;
        }
        var offset = _chunkUsed;
        record.CopyTo(_chunk.AsSpan(offset));
        _chunkUsed += record.Length;
        return (_chunk, offset);
    }

    /// <summary>The index of the first event after <paramref name="position"/> in the store's order.</summary>
    private int FirstAfter(EventHistoryPosition position) => Search(position, inclusive: false);

    /// <summary>The index of the first event at or after <paramref name="position"/> in the store's order.</summary>
    private int FirstAtOrAfter(EventHistoryPosition position) => Search(position, inclusive: true);

    private int Search(EventHistoryPosition position, bool inclusive)
    {
        int low = 0, high = _count;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            var order = At(mid).Position.CompareTo(position);
            if (order < 0 || (order == 0 && !inclusive)) low = mid + 1; else high = mid;
        }
        return low;
    }

    private void Insert(in Entry stored)
    {
        var at = FirstAfter(stored.Position);
        if (_count == _events.Length && _count < _capacity) Grow();
        if (_count == _events.Length)
        {
            // Full: the oldest goes, unless the new event is older than everything kept.
            if (at == 0) return;
            DropOldest();
            at--;
        }
        for (var i = _count; i > at; i--) Set(i, At(i - 1));
        Set(at, stored);
        _count++;
        var oldest = At(_count - 1).Position.Time - _retention;
        while (_count > 0 && At(0).Position.Time < oldest) DropOldest();
    }

    private void Grow()
    {
        var grown = new Entry[(int)Math.Min((long)_events.Length * 2, _capacity)];
        for (var i = 0; i < _count; i++) grown[i] = At(i);
        _events = grown;
        _head = 0;
    }

    /// <summary>A kept event: where its record is, the notifiers it reached, its place in the order.</summary>
    private readonly record struct Entry(byte[] Chunk, int Offset, int Length, NodeId[] Notifiers, EventHistoryPosition Position)
    {
        public StoredEvent ToStoredEvent() => new(new ReadOnlyMemory<byte>(Chunk, Offset, Length), Notifiers, Position);
    }
}
