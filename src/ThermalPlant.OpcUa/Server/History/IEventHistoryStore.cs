using ThermalPlant.OpcUa.Server.Events;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.History;

/// <summary>
/// Where a server keeps the events it raised, for HistoryRead of events (Part 11, 6.5.2), ordered by their Time field
/// (ReceiveTime for an event raised without one) and then by arrival. The server records every event it raises
/// (<see cref="EventManager.Raise"/>) with the notifiers it reached; the host chooses the store:
/// <see cref="MemoryEventHistoryStore"/> by default, <see cref="FileEventHistoryStore"/> to survive restarts.
/// </summary>
public interface IEventHistoryStore
{
    /// <summary>Records <paramref name="e"/>, which reached <paramref name="notifiers"/> (the Server object among them).</summary>
    void Append(UaEvent e, IReadOnlyList<NodeId> notifiers);

    /// <summary>
    /// Events that reached <paramref name="notifier"/> with a time in [<paramref name="from"/>, <paramref name="to"/>],
    /// oldest first (newest first when <paramref name="newestFirst"/>), starting after <paramref name="after"/> (null
    /// for the start of the range), at most <paramref name="max"/> of them, into <paramref name="into"/>; returns
    /// whether the range may hold more.
    /// </summary>
    bool Read(NodeId notifier, DateTime from, DateTime to, EventHistoryPosition? after, bool newestFirst, int max, List<StoredEvent> into);
}

/// <summary>
/// An event as kept: its record (the event's fields encoded, decoded again when read), the notifiers it reached, and its
/// place in the store's order.
/// </summary>
public sealed class StoredEvent
{
    private readonly ReadOnlyMemory<byte> _record;

    internal StoredEvent(ReadOnlyMemory<byte> record, NodeId[] notifiers, EventHistoryPosition position)
    {
        _record = record;
        Notifiers = notifiers;
        Position = position;
    }

    /// <summary>The event with every field it was raised with, decoded from the record at each call.</summary>
    public UaEvent Event => EventRecord.Decode(_record.Span).Event;

    /// <summary>The notifiers it reached when raised.</summary>
    public NodeId[] Notifiers { get; }

    /// <summary>Its time and arrival number: where a read that stopped at it goes on.</summary>
    public EventHistoryPosition Position { get; }

    /// <summary>The record's length in bytes.</summary>
    public int RecordLength => _record.Length;

    /// <summary>The encoded event, as a file store writes it.</summary>
    internal ReadOnlySpan<byte> Record => _record.Span;

    /// <summary>Whether the event reached <paramref name="notifier"/>.</summary>
    public bool Reached(NodeId notifier) => Array.IndexOf(Notifiers, notifier) >= 0;
}

/// <summary>A place in an event store's order: the event's time, then its arrival number for events of the same time.</summary>
/// <param name="Time">The event's Time (its ReceiveTime when it has none).</param>
/// <param name="Sequence">The store's arrival number, increasing.</param>
public readonly record struct EventHistoryPosition(DateTime Time, long Sequence)
{
    /// <summary>The time an event is kept and read by.</summary>
    public static DateTime TimeOf(UaEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.Time == default ? e.ReceiveTime : e.Time;
    }

    /// <summary>Negative when this comes before <paramref name="other"/>, positive after, 0 for the same place.</summary>
    public int CompareTo(EventHistoryPosition other)
    {
        var byTime = Time.CompareTo(other.Time);
        return byTime != 0 ? byTime : Sequence.CompareTo(other.Sequence);
    }
}
