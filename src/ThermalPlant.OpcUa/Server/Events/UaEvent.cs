using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Events;

/// <summary>
/// One event as raised (Part 5, 6.4.2): the BaseEventType fields as properties, and any further fields of its type by
/// browse path from the type (<c>"AckedState/Id"</c>; a name outside namespace 0 as <c>"2:Name"</c>). Select clauses
/// and where clauses read it; <see cref="EventManager.Raise"/> stamps <see cref="EventId"/> and <see cref="ReceiveTime"/>.
/// The further fields sit in an array laid out by the type's <see cref="EventFieldTable"/>, not in a dictionary per event.
/// </summary>
public sealed class UaEvent
{
    private readonly EventFieldTable _table;
    private Variant[] _fields;

    /// <summary>Creates an event of <paramref name="eventType"/> (a BaseEventType subtype known to <see cref="EventTypes"/>).</summary>
    public UaEvent(NodeId eventType)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        EventType = eventType;
        _table = EventFieldTable.For(eventType);
        _fields = _table.Count == 0 ? [] : new Variant[_table.Count];
    }

    /// <summary>The event's type.</summary>
    public NodeId EventType { get; }

    /// <summary>The unique id of this event (16 bytes: the server's random prefix and a count), set when raised.</summary>
    public byte[] EventId { get; internal set; } = [];

    /// <summary>The node the event is about; its notifiers (and the Server object) report it.</summary>
    public NodeId SourceNode { get; init; } = NodeId.Null;

    /// <summary>The source's name as an operator reads it.</summary>
    public string? SourceName { get; init; }

    /// <summary>When the event happened.</summary>
    public DateTime Time { get; init; }

    /// <summary>When the server received it, set when raised.</summary>
    public DateTime ReceiveTime { get; internal set; }

    /// <summary>What happened, for a person.</summary>
    public LocalizedText Message { get; init; }

    /// <summary>Urgency, 1 (least) to 1000 (most).</summary>
    public ushort Severity { get; init; }

    /// <summary>The condition's NodeId when the event reports a condition's state (selected by the empty path with the NodeId attribute).</summary>
    public NodeId? ConditionId { get; init; }

    /// <summary>Sets a further field by its browse path; returns the event.</summary>
    public UaEvent Set(string path, Variant value)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var slot = _table.SlotOf(path);
        // Only the first events of a type, or a path new to it, grow the array.
        if (slot >= _fields.Length) Array.Resize(ref _fields, Math.Max(slot + 1, _table.Count));
        _fields[slot] = value;
        return this;
    }

    /// <summary>The value of the field at <paramref name="path"/>; false when the event has none.</summary>
    public bool TryGetField(string path, out Variant value)
    {
        ArgumentNullException.ThrowIfNull(path);
        value = path switch
        {
            "EventId" => new Variant(BuiltInType.ByteString, EventId),
            "EventType" => new Variant(BuiltInType.NodeId, EventType),
            "SourceNode" => new Variant(BuiltInType.NodeId, SourceNode),
            "SourceName" => Variant.From(SourceName),
            "Time" => Variant.From(Time),
            "ReceiveTime" => Variant.From(ReceiveTime),
            "Message" => new Variant(BuiltInType.LocalizedText, Message),
            "Severity" => Variant.From(Severity),
            _ => _table.TryGetSlot(path, out var slot) && slot < _fields.Length ? _fields[slot] : Variant.Null,
        };
        return !value.IsNull;
    }

    /// <summary>
    /// Writes the further fields set with <see cref="Set"/>, for an event store to keep: their count, then each one's
    /// path (a String) and value (a Variant); the paths' encoding is the type table's, made once per path.
    /// </summary>
    internal void EncodeFields(BinaryEncoder encoder)
    {
        var count = 0;
        foreach (var value in _fields) count += value.IsNull ? 0 : 1;
        encoder.WriteInt32(count);
        for (var i = 0; i < _fields.Length; i++)
        {
            if (_fields[i].IsNull) continue;
            encoder.WriteRaw(_table.EncodedPathAt(i));
            encoder.WriteVariant(_fields[i]);
        }
    }

    /// <summary>The browse path <paramref name="path"/> as an event field key.</summary>
    internal static string PathKey(IReadOnlyList<QualifiedName> path)
    {
        return path.Count switch
        {
            0 => string.Empty,
            1 => path[0].ToString(),
            _ => string.Join('/', path),
        };
    }
}
