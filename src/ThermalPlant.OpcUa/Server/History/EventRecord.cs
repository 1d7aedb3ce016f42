using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Server.Events;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.History;

/// <summary>
/// A kept event as bytes (its fields in the OPC UA binary encoding, and the notifiers it reached): what the event stores
/// hold in memory, a few hundred bytes where the event object with its field values takes several kilobytes, and what
/// the file store writes.
/// </summary>
internal static class EventRecord
{
    /// <summary>An event's fields and the notifiers it reached.</summary>
    public static void Encode(BinaryEncoder encoder, UaEvent e, IReadOnlyList<NodeId> notifiers)
    {
        encoder.WriteNodeId(e.EventType);
        encoder.WriteByteString(e.EventId);
        encoder.WriteNodeId(e.SourceNode);
        encoder.WriteString(e.SourceName);
        encoder.WriteDateTime(e.Time);
        encoder.WriteDateTime(e.ReceiveTime);
        encoder.WriteLocalizedText(e.Message);
        encoder.WriteUInt16(e.Severity);
        encoder.WriteBoolean(e.ConditionId is not null);
        encoder.WriteNodeId(e.ConditionId ?? NodeId.Null);
        encoder.WriteInt32(notifiers.Count);
        foreach (var notifier in notifiers) encoder.WriteNodeId(notifier);
        e.EncodeFields(encoder);
    }

    /// <summary>The event and notifiers of a record; a damaged record is an <see cref="OpcUaException"/>.</summary>
    public static (UaEvent Event, NodeId[] Notifiers) Decode(ReadOnlySpan<byte> record)
    {
        var decoder = new BinaryDecoder(record, EncodingLimits.Default);
        var type = decoder.ReadNodeId();
        var eventId = decoder.ReadByteString() ?? [];
        var source = decoder.ReadNodeId();
        var sourceName = decoder.ReadString();
        var time = decoder.ReadDateTime();
        var receiveTime = decoder.ReadDateTime();
        var message = decoder.ReadLocalizedText();
        var severity = decoder.ReadUInt16();
        var hasCondition = decoder.ReadBoolean();
        var conditionId = decoder.ReadNodeId();
        var e = new UaEvent(type)
        {
            SourceNode = source,
            SourceName = sourceName,
            Time = time,
            Message = message,
            Severity = severity,
            ConditionId = hasCondition ? conditionId : null,
        };
        e.EventId = eventId;
        e.ReceiveTime = receiveTime;
        var notifiers = new NodeId[decoder.ReadArrayLength()];
        for (var i = 0; i < notifiers.Length; i++) notifiers[i] = decoder.ReadNodeId();
        var count = decoder.ReadArrayLength();
        for (var i = 0; i < count; i++)
        {
            var path = decoder.ReadString();
            var value = decoder.ReadVariant();
            if (!string.IsNullOrEmpty(path)) e.Set(path, value);
        }
        return (e, notifiers);
    }
}
