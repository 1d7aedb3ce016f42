using System.Numerics;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Events;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Subscriptions;

/// <summary>
/// One monitored item (Part 4, 5.12): values pushed by its variable pass the sampling interval and the data change
/// filter, then wait in a bounded queue for the subscription's next publish. Callers hold the subscription's lock.
/// Kept compact, as a server holds 100,000 of them: a queue of one (the usual size) is one slot, a larger queue and the
/// triggering links are made only when asked for, the item observes its variable itself (no delegate), it keeps
/// the request's ReadValueId only when it names an index range or a data encoding, and of the last sampled value only
/// what the filter compares; a value held for its sampling interval is read back from the variable.
/// </summary>
internal sealed class MonitoredItem : IValueObserver
{
    /// <summary>InfoType DataValue (bit 10) with the Overflow bit (bit 7), Part 4, 7.39.</summary>
    private const uint OverflowBits = 0x480;

    // The queue: one value in _slot while it holds at most one, and _queue only for a queue size above 1.
    private DataValue _slot;
    private bool _hasSlot;
    private Queue<DataValue>? _queue;

    // What the filter compares the next value with: the last sampled value's Variant, status and source timestamp, not
    // the whole DataValue (the server timestamp and picoseconds are never compared).
    private Variant _lastValue;
    private uint _lastStatus;
    private long _lastSourceTicks;
    private bool _hasLastSourceTimestamp;
    private bool _hasLast;

    // A value that came before its sampling interval passed. It is the variable's latest, so only the fact is kept and
    // the value is read from the variable when sampled (a whole DataValue less per item); a newer value read there
    // is pushed right after, and the filter drops it as unchanged.
    private bool _hasHeld;
    private long _heldSinceTicks;
    private long _lastSampleTicks;
    private HashSet<uint>? _triggered;

    // The attribute, index range and encoding asked for, kept only when the request names a range or an encoding;
    // otherwise the node and AttributeId say it all (56 bytes less per item).
    private readonly ReadValueId? _target;

    private TimeSpan _samplingInterval;
    private long _dueAfterTicks;

    public MonitoredItem(uint id, UaNode node, ReadValueId itemToMonitor, TimestampsToReturn timestamps)
    {
        Id = id;
        Node = node;
        AttributeId = itemToMonitor.AttributeId;
        if (itemToMonitor.IndexRange is { Length: > 0 } || itemToMonitor.DataEncoding != default)
        {
            // The node's own NodeId, not the request's decoded copy.
            _target = new ReadValueId { NodeId = node.NodeId, AttributeId = itemToMonitor.AttributeId, IndexRange = itemToMonitor.IndexRange, DataEncoding = itemToMonitor.DataEncoding };
        }
        Timestamps = timestamps;
    }

    public uint Id { get; }

    public UaNode Node { get; }

    /// <summary>The attribute monitored.</summary>
    public uint AttributeId { get; }

    /// <summary>What the item monitors, as a read of its current value takes it; made on each call when the item has no range or encoding.</summary>
    public ReadValueId ItemToMonitor => _target ?? new ReadValueId { NodeId = Node.NodeId, AttributeId = AttributeId };

    public TimestampsToReturn Timestamps { get; set; }

    public uint ClientHandle { get; set; }

    public MonitoringMode Mode { get; set; }

    public TimeSpan SamplingInterval
    {
        get => _samplingInterval;
        set
        {
            _samplingInterval = value;
            // Worked out once here, not per value: a TimeSpan divided goes through floating point.
            _dueAfterTicks = value.Ticks - (value.Ticks / 8);
        }
    }

    public uint QueueSize { get; set; } = 1;

    public bool DiscardOldest { get; set; } = true;

    public DataChangeTrigger Trigger { get; set; } = DataChangeTrigger.StatusValue;

    /// <summary>The absolute deadband in the value's units (a percent deadband already converted through EURange).</summary>
    public double Deadband { get; set; }

    /// <summary>Items reported when this one reports (SetTriggering), by id; made on first use.</summary>
    public HashSet<uint> TriggeredItems => _triggered ??= [];

    /// <summary>The triggering links, null when the item never had one.</summary>
    public HashSet<uint>? Triggered => _triggered;

    /// <summary>The filter and queue of an item on an EventNotifier; null for data items.</summary>
    public EventQueue? Events { get; init; }

    /// <summary>The subscription told of the variable's values; set while the item observes its variable.</summary>
    public Subscription? Owner { get; set; }

    /// <summary>Whether the item is in its subscription's list of items to visit next cycle (the subscription keeps it).</summary>
    public bool Listed { get; set; }

    /// <summary>Set once the item is deleted, so the subscription drops it from that list.</summary>
    public bool Removed { get; set; }

    private int QueuedValues => _queue?.Count ?? (_hasSlot ? 1 : 0);

    public bool HasNotifications => Mode == MonitoringMode.Reporting && (QueuedValues > 0 || Events?.Count > 0);

    /// <summary>Whether the item has anything for the next cycle: a held sample, queued values or queued events.</summary>
    public bool IsActive => _hasHeld || QueuedValues > 0 || Events?.Count > 0;

    /// <inheritdoc />
    public void OnValueChanged(DataValue value) => Owner?.OnValueChanged(this, value);

    /// <inheritdoc />
    public void OnValueChanged(in DataValue value, ref ValuePushBatch batch) => batch.Offer(this, value);

    /// <summary>An event from the item's notifier, queued when it passes the filter; true when queued.</summary>
    public bool OfferEvent(UaEvent e, DateTimeOffset now) => Mode != MonitoringMode.Disabled && Events!.Offer(e, QueueSize, DiscardOldest, now.UtcDateTime);

    /// <summary>A value from the variable: sampled now when the interval has passed, else held as the latest.</summary>
    public void Offer(in DataValue value, DateTimeOffset now)
    {
        if (Mode == MonitoringMode.Disabled) return;
        if (!SampleDue(now))
        {
            _hasHeld = true;
            _heldSinceTicks = now.UtcTicks;
            return;
        }
        Sample(value, now);
    }

    /// <summary>Samples a held value once its interval has passed; true when one was queued.</summary>
    public bool SampleHeld(DateTimeOffset now)
    {
        if (!_hasHeld || !SampleDue(now)) return false;
        var arrived = _heldSinceTicks;
        var due = _lastSampleTicks + _dueAfterTicks;
        var queued = Sample(((UaVariable)Node).Value, now);
        // The sample counts from when its value arrived, though no earlier than it fell due, not from this later cycle:
        // counting from the cycle would shift the item's sampling slots behind values pushed on the sampling period,
        // and every later value would then be held too, each for the same lag, for as long as the pushes stay regular.
        _lastSampleTicks = Math.Max(arrived, due);
        return queued;
    }

    /// <summary>
    /// Whether the sampling interval has passed, less an eighth of it: values pushed on a period equal to the sampling
    /// interval (a poll, a PLC cycle) jitter around it, and one that came a little early would otherwise wait for the
    /// next publishing cycle, or be replaced there by its successor and lost.
    /// </summary>
    private bool SampleDue(DateTimeOffset now) => now.UtcTicks - _lastSampleTicks >= _dueAfterTicks;

    /// <summary>Queues <paramref name="value"/> if it passes the filter; true when queued.</summary>
    public bool Sample(DataValue value, DateTimeOffset now)
    {
        _hasHeld = false;
        _lastSampleTicks = now.UtcTicks;
        if (Mode == MonitoringMode.Disabled || !Changed(value)) return false;
        Remember(value);
        Enqueue(Stamp(value, now));
        return true;
    }

    /// <summary>Queues the current value regardless of the filter (initial values, TransferSubscriptions).</summary>
    public void QueueCurrent(DataValue value, DateTimeOffset now)
    {
        Remember(value);
        _lastSampleTicks = now.UtcTicks;
        Enqueue(Stamp(value, now));
    }

    /// <summary>Writes up to <paramref name="max"/> queued events as EventFieldLists; returns how many.</summary>
    public int DrainEvents(BinaryEncoder events, int max) => Events!.Drain(events, ClientHandle, max);

    /// <summary>Writes up to <paramref name="max"/> queued values as MonitoredItemNotifications (Part 4, 7.24.2); returns how many.</summary>
    public int Drain(BinaryEncoder encoder, int max)
    {
        var taken = 0;
        if (_queue is not null)
        {
            while (taken < max && _queue.TryDequeue(out var value))
            {
                Write(encoder, value);
                taken++;
            }
            return taken;
        }
        if (!_hasSlot || max <= 0) return 0;
        Write(encoder, _slot);
        _slot = default;
        _hasSlot = false;
        return 1;
    }

    private void Write(BinaryEncoder encoder, DataValue value)
    {
        encoder.WriteUInt32(ClientHandle);
        encoder.WriteDataValue(value);
    }

    /// <summary>Drops queued values beyond a smaller queue size, keeping the ones the discard policy keeps.</summary>
    public void TrimQueue()
    {
        Events?.Trim(QueueSize, DiscardOldest);
        if (_queue is null) return;
        while (_queue.Count > QueueSize)
        {
            if (DiscardOldest) _queue.Dequeue();
            else RemoveLast(_queue);
        }
        if (QueueSize > 1) return;
        // Back to a queue of one: its value goes to the slot.
        _hasSlot = _queue.TryDequeue(out _slot);
        _queue = null;
    }

    public void ClearQueue()
    {
        _queue?.Clear();
        _slot = default;
        _hasSlot = false;
        Events?.Clear();
    }

    private void Enqueue(DataValue value)
    {
        if (QueueSize <= 1 && _queue is null)
        {
            // A queue of one keeps the newest value either way: DiscardOldest drops the old one, and otherwise the
            // newest replaces the last (Part 4, 5.12.1.5); no overflow bit for a queue of one.
            _slot = value;
            _hasSlot = true;
            return;
        }
        if (_queue is null)
        {
            _queue = new Queue<DataValue>();
            if (_hasSlot) _queue.Enqueue(_slot);
            _slot = default;
            _hasSlot = false;
        }
        if (_queue.Count < QueueSize)
        {
            _queue.Enqueue(value);
            return;
        }
        var overflow = QueueSize > 1;
        if (DiscardOldest)
        {
            _queue.Dequeue();
            _queue.Enqueue(value);
            if (overflow) MarkFirstOverflowed(_queue);
        }
        else
        {
            RemoveLast(_queue);
            _queue.Enqueue(overflow ? WithOverflow(value) : value);
        }
    }

    private static void MarkFirstOverflowed(Queue<DataValue> queue)
    {
        var count = queue.Count;
        var first = queue.Dequeue();
        queue.Enqueue(WithOverflow(first));
        for (var i = 1; i < count; i++) queue.Enqueue(queue.Dequeue());
    }

    private static void RemoveLast(Queue<DataValue> queue)
    {
        var count = queue.Count;
        for (var i = 0; i < count - 1; i++) queue.Enqueue(queue.Dequeue());
        queue.Dequeue();
    }

    private static DataValue WithOverflow(DataValue value) => value with { Status = new StatusCode(value.Status.Code | OverflowBits) };

    private void Remember(in DataValue value)
    {
        _lastValue = value.Value;
        _lastStatus = value.Status.Code;
        var source = value.SourceTimestamp;
        _hasLastSourceTimestamp = source.HasValue;
        _lastSourceTicks = source.GetValueOrDefault().Ticks;
        _hasLast = true;
    }

    private bool Changed(in DataValue value)
    {
        if (!_hasLast) return true;
        if (_lastStatus != value.Status.Code) return true;
        if (Trigger == DataChangeTrigger.Status) return false;
        if (!ValueChanged(_lastValue, value.Value)) return Trigger == DataChangeTrigger.StatusValueTimestamp && SourceTimestampChanged(value.SourceTimestamp);
        return true;
    }

    // DateTime equality, as the nullable comparison had it: by ticks.
    private bool SourceTimestampChanged(DateTime? source) => source.HasValue != _hasLastSourceTimestamp || source.GetValueOrDefault().Ticks != _lastSourceTicks;

    private bool ValueChanged(Variant last, Variant next)
    {
        // Arrays (and ByteStrings, as before) element by element; inline scalars are never boxed to find out.
        if (!last.IsInlineScalar && !next.IsInlineScalar && last.Value is Array a && next.Value is Array b) return ArrayChanged(a, b);
        if (last.Type != next.Type) return true;
        if (Deadband > 0 && last.TryGetNumber(out var x) && next.TryGetNumber(out var y)) return OutsideDeadband(x, y);
        return !last.Equals(next);
    }

    private bool ArrayChanged(Array a, Array b)
    {
        if (a.Length != b.Length) return true;
        // Numeric arrays typed, so that no element is boxed; other element types (strings, structures) compare as
        // objects. The type is compared exactly: the runtime lets a uint[] pass as an int[], which would flip signs.
        var type = a.GetType();
        if (type != b.GetType()) return ElementsChanged(a, b);
        if (type == typeof(double[])) return NumbersChanged((double[])a, (double[])b);
        if (type == typeof(float[])) return NumbersChanged((float[])a, (float[])b);
        if (type == typeof(int[])) return NumbersChanged((int[])a, (int[])b);
        if (type == typeof(uint[])) return NumbersChanged((uint[])a, (uint[])b);
        if (type == typeof(short[])) return NumbersChanged((short[])a, (short[])b);
        if (type == typeof(ushort[])) return NumbersChanged((ushort[])a, (ushort[])b);
        if (type == typeof(long[])) return NumbersChanged((long[])a, (long[])b);
        if (type == typeof(ulong[])) return NumbersChanged((ulong[])a, (ulong[])b);
        if (type == typeof(byte[])) return NumbersChanged((byte[])a, (byte[])b);
        if (type == typeof(sbyte[])) return NumbersChanged((sbyte[])a, (sbyte[])b);
        return ElementsChanged(a, b);
    }

    private bool NumbersChanged<T>(T[] last, T[] next)
        where T : struct, INumberBase<T>
    {
        if (Deadband <= 0) return !last.AsSpan().SequenceEqual(next);
        for (var i = 0; i < last.Length; i++)
        {
            if (OutsideDeadband(double.CreateTruncating(last[i]), double.CreateTruncating(next[i]))) return true;
        }
        return false;
    }

    private bool ElementsChanged(Array a, Array b)
    {
        for (var i = 0; i < a.Length; i++)
        {
            if (ElementChanged(a.GetValue(i), b.GetValue(i))) return true;
        }
        return false;
    }

    private bool ElementChanged(object? last, object? next)
    {
        if (Deadband > 0 && Numeric.TryToDouble(last, out var a) && Numeric.TryToDouble(next, out var b)) return OutsideDeadband(a, b);
        return !Equals(last, next);
    }

    // Part 8, 6.2: report when |last - next| exceeds the deadband.
    private bool OutsideDeadband(double last, double next) => Math.Abs(last - next) > Deadband || double.IsNaN(last) != double.IsNaN(next);

    // Both timestamps asked for and the host gave a server timestamp (the usual case): the value as it came, uncopied.
    private DataValue Stamp(in DataValue value, DateTimeOffset now) =>
        Timestamps == TimestampsToReturn.Both && value.ServerTimestamp.HasValue ? value : TimestampFilter.Apply(value, Timestamps, now.UtcDateTime);
}
