using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Events;

/// <summary>
/// The event side of a monitored item: its filter, its registration with the <see cref="EventManager"/>, and its
/// bounded queue of selected fields. When an event must be discarded, an EventQueueOverflowEventType event is put in the
/// queue in addition to its size, bypassing the where clause (Part 4, 5.13.1.5 and 7.22.3): first in the queue when
/// the oldest are discarded, last otherwise, and only one until it has been sent. Callers hold the subscription's lock.
/// </summary>
internal sealed class EventQueue : IDisposable
{
    private static readonly NodeId OverflowType = NodeId.Of(ObjectTypeIds.EventQueueOverflowEventType);

    private readonly LinkedList<SelectedEvent> _queue = new();
    private LinkedListNode<SelectedEvent>? _overflow;

    public EventQueue(CompiledEventFilter filter) => Filter = filter;

    public CompiledEventFilter Filter { get; set; }

    /// <summary>The registration with the event manager, disposed with the item.</summary>
    public IDisposable? Registration { get; set; }

    public int Count => _queue.Count;

    /// <summary>Events discarded for a full queue since the item was created.</summary>
    public long Discarded { get; private set; }

    /// <summary>
    /// Queues the selected fields of <paramref name="e"/> when it passes the where clause; true when queued. The filter
    /// is shared by the items with the same filter, so the where clause and the select run once per event for all of them.
    /// </summary>
    public bool Offer(UaEvent e, uint queueSize, bool discardOldest, DateTime now)
    {
        if (Filter.Apply(e) is not { } fields) return false;
        if (_queue.Count - (_overflow is null ? 0 : 1) < queueSize)
        {
            AddBeforeTrailingOverflow(fields);
            return true;
        }
        Discarded++;
        if (discardOldest)
        {
            var oldest = _queue.First!;
            _queue.Remove(oldest == _overflow ? oldest.Next! : oldest);
            AddBeforeTrailingOverflow(fields);
            _overflow ??= _queue.AddFirst(Overflow(now));
        }
        else
        {
            var last = _overflow is not null && _queue.Last == _overflow ? _overflow.Previous! : _queue.Last!;
            last.Value = fields;
            _overflow ??= _queue.AddLast(Overflow(now));
        }
        return true;
    }

    /// <summary>
    /// Writes up to <paramref name="max"/> queued events as EventFieldLists (Part 4, 7.22.3) into <paramref name="into"/>,
    /// copying each one's fields as encoded once for every item with the filter; returns how many.
    /// </summary>
    public int Drain(BinaryEncoder into, uint clientHandle, int max)
    {
        var taken = 0;
        while (taken < max && _queue.First is { } first)
        {
            _queue.RemoveFirst();
            if (first == _overflow) _overflow = null;
            into.WriteUInt32(clientHandle);
            into.WriteRaw(first.Value.Encoded);
            taken++;
        }
        return taken;
    }

    /// <summary>Drops queued events beyond a smaller queue size, as the discard policy says.</summary>
    public void Trim(uint queueSize, bool discardOldest)
    {
        while (_queue.Count - (_overflow is null ? 0 : 1) > queueSize)
        {
            var victim = discardOldest ? _queue.First! : _queue.Last!;
            if (victim == _overflow) victim = discardOldest ? victim.Next! : victim.Previous!;
            _queue.Remove(victim);
        }
    }

    public void Clear()
    {
        _queue.Clear();
        _overflow = null;
    }

    public void Dispose() => Registration?.Dispose();

    private void AddBeforeTrailingOverflow(SelectedEvent fields)
    {
        if (_overflow is not null && _queue.Last == _overflow) _queue.AddBefore(_overflow, fields);
        else _queue.AddLast(fields);
    }

    private SelectedEvent Overflow(DateTime now)
    {
        var overflow = new UaEvent(OverflowType)
        {
            SourceNode = NodeId.Of(ObjectIds.Server),
            SourceName = "Internal/EventQueueOverflow",
            Time = now,
            Message = new LocalizedText(null, "events were discarded from a full queue"),
            Severity = 1,
        };
        overflow.EventId = Guid.NewGuid().ToByteArray();
        overflow.ReceiveTime = now;
        return new SelectedEvent(Filter.Select(overflow));
    }
}
