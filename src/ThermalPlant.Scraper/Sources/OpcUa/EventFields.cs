using System.Reflection;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Storage.Events;
using static ThermalPlant.OpcUa.Client.EventFilters;

namespace ThermalPlant.Scraper.Sources.OpcUa;

/// <summary>
/// The fields the scraper selects from every event (the columns of the <c>events</c> table), as UaExpert selects them:
/// by type definition and browse path, so a server answers the condition fields of conditions and null for other events.
/// </summary>
internal static class EventFields
{
    /// <summary>The longest message or comment kept, in characters; a longer one is cut (its start says what happened).</summary>
    public const int MaxTextLength = 4000;

    /// <summary>The longest name or NodeId text kept, in characters.</summary>
    public const int MaxNameLength = 500;

    private const int EventId = 0, EventType = 1, SourceNode = 2, SourceName = 3, Time = 4, ReceiveTime = 5, Message = 6, Severity = 7,
        ConditionId = 8, Active = 9, Acked = 10, Confirmed = 11, Retain = 12, Comment = 13;

    private static readonly Dictionary<uint, string> TypeNames = typeof(ObjectTypeIds)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(uint))
        .GroupBy(f => (uint)f.GetValue(null)!)
        .ToDictionary(g => g.Key, g => g.First().Name);

    /// <summary>The select clauses, in the order <see cref="ToStoredEvent"/> reads them.</summary>
    public static SimpleAttributeOperand[] Select() =>
    [
        Field("EventId"), Field("EventType"), Field("SourceNode"), Field("SourceName"), Field("Time"), Field("ReceiveTime"), Field("Message"), Field("Severity"),
        ConditionId(),
        Field("ActiveState/Id", ObjectTypeIds.AlarmConditionType),
        Field("AckedState/Id", ObjectTypeIds.AcknowledgeableConditionType),
        Field("ConfirmedState/Id", ObjectTypeIds.AcknowledgeableConditionType),
        Field("Retain", ObjectTypeIds.ConditionType),
        Field("Comment", ObjectTypeIds.ConditionType),
    ];

    /// <summary>Whether the event is a RefreshStart or RefreshEnd event (ConditionRefresh's brackets, not plant events).</summary>
    public static bool IsRefreshBracket(Variant[] fields) =>
        fields.Length > EventType && fields[EventType].Value is NodeId { NamespaceIndex: 0 } type
        && type.Numeric is ObjectTypeIds.RefreshStartEventType or ObjectTypeIds.RefreshEndEventType;

    /// <summary>Whether the event says the server's event queue overflowed (events were lost there).</summary>
    public static bool IsQueueOverflow(Variant[] fields) =>
        fields.Length > EventType && fields[EventType].Value is NodeId { NamespaceIndex: 0, Numeric: ObjectTypeIds.EventQueueOverflowEventType };

    /// <summary>
    /// The row of an event's fields as the server sent them (missing or mistyped fields are null). An event without a
    /// Time takes <paramref name="now"/>, one without an EventId a key from its content; texts are bounded.
    /// </summary>
    public static StoredEvent ToStoredEvent(string endpoint, Variant[] fields, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(fields);
        object? Get(int i) => i < fields.Length ? fields[i].Value : null;
        var time = Utc(Get(Time)) ?? now;
        var receiveTime = Utc(Get(ReceiveTime)) ?? now;
        var type = Get(EventType) is NodeId id ? TypeName(id) : "BaseEventType";
        var sourceNode = Bound(Get(SourceNode) is NodeId source && !source.IsNull ? source.ToString() : null, MaxNameLength);
        var sourceName = Bound(Get(SourceName) as string, MaxNameLength);
        var severity = Get(Severity) switch { ushort s => s, int s => s, uint s => (int)Math.Min(s, int.MaxValue), _ => 0 };
        var message = Bound(Text(Get(Message)), MaxTextLength);
        var condition = Bound(Get(ConditionId) is NodeId c && !c.IsNull ? c.ToString() : null, MaxNameLength);
        var active = Get(Active) as bool?;
        var acked = Get(Acked) as bool?;
        var confirmed = Get(Confirmed) as bool?;
        var eventId = Get(EventId) is byte[] { Length: > 0 } bytes
            ? StoredEvent.BoundedEventId(bytes)
            : StoredEvent.ContentKey(time, type, sourceNode, condition, active, acked, confirmed, severity, message);
        return new StoredEvent(endpoint, eventId, time, receiveTime, type, sourceNode, sourceName, severity, message, condition,
            active, acked, confirmed, Get(Retain) as bool?, Bound(Text(Get(Comment)), MaxTextLength));
    }

    private static string TypeName(NodeId type) =>
        Bound(type.NamespaceIndex == 0 && type.IdType == NodeIdType.Numeric && TypeNames.TryGetValue(type.Numeric, out var name) ? name : type.ToString(), MaxNameLength)!;

    private static DateTime? Utc(object? value) => value is DateTime time && time > DateTime.MinValue
        ? (time.Kind == DateTimeKind.Utc ? time : DateTime.SpecifyKind(time, DateTimeKind.Utc))
        : null;

    private static string? Text(object? value) => value switch
    {
        LocalizedText text => text.Text,
        string text => text,
        _ => null,
    };

    /// <summary>Cuts <paramref name="text"/> to <paramref name="max"/> characters and drops NUL, which PostgreSQL's text refuses.</summary>
    private static string? Bound(string? text, int max)
    {
        if (text is null) return null;
        if (text.Length > max) text = text[..max];
        return text.Contains('\0', StringComparison.Ordinal) ? text.Replace("\0", "", StringComparison.Ordinal) : text;
    }
}
