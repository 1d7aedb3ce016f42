using System.Buffers;
using ThermalPlant.Storage.Events;

using static ThermalPlant.Nats.BatchWire;

namespace ThermalPlant.Nats;

/// <summary>
/// The binary form of a batch of events (alarm transitions and other OPC UA events) as one JetStream message carries
/// it. Deterministic like <see cref="SampleBatchCodec"/>, so <see cref="SampleBatchCodec.MessageId"/> of the bytes
/// names the content and a batch re-sent after a lost acknowledgement is stored once by the stream.
/// </summary>
/// <remarks>
/// Layout (little-endian; <c>varint</c> as in protobuf; a string is a varint byte length then UTF-8, an optional
/// string a varint of length + 1 with 0 for null): the magic <c>TPE1</c>, the event count, then per event its
/// endpoint, EventId (varint length and bytes, at most <see cref="StoredEvent.MaxEventIdLength"/>), Time and
/// ReceiveTime (UTC ticks, int64), event type, optional source node, source name, severity (varint), optional message
/// and condition id, one byte holding the four optional states (two bits each: 0 null, 1 false, 2 true: Active,
/// Acked, Confirmed, Retain) and the optional comment. Every count and length read is bounded.
/// </remarks>
public static class EventBatchCodec
{
    /// <summary>Most events one message may hold.</summary>
    public const int MaxEvents = 10_000;

    /// <summary>Longest string (endpoint, type, names, message, comment) in bytes.</summary>
    public const int MaxStringBytes = 16 * 1024;

    private static ReadOnlySpan<byte> Magic => "TPE1"u8;

    /// <summary>Encodes <paramref name="events"/> into <paramref name="output"/>.</summary>
    /// <exception cref="ArgumentException">No events or too many, a time that is not UTC, an EventId or a string too long.</exception>
    public static void Encode(IReadOnlyList<StoredEvent> events, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(output);
        if (events.Count is 0 or > MaxEvents) throw new ArgumentException($"A batch holds 1 to {MaxEvents} events, not {events.Count}.", nameof(events));
        Write(output, Magic);
        WriteVarint(output, (ulong)events.Count);
        foreach (var e in events)
        {
            if (e.Time.Kind != DateTimeKind.Utc || e.ReceiveTime.Kind != DateTimeKind.Utc) throw new ArgumentException("Events carry UTC times.", nameof(events));
            if (e.EventId.Length > StoredEvent.MaxEventIdLength) throw new ArgumentException($"An EventId of {e.EventId.Length} bytes; at most {StoredEvent.MaxEventIdLength}.", nameof(events));
            if (e.Severity < 0) throw new ArgumentException($"Severity {e.Severity} is negative.", nameof(events));
            WriteString(output, e.Endpoint);
            WriteVarint(output, (ulong)e.EventId.Length);
            Write(output, e.EventId);
            WriteInt64(output, e.Time.Ticks);
            WriteInt64(output, e.ReceiveTime.Ticks);
            WriteString(output, e.EventType);
            WriteOptional(output, e.SourceNode);
            WriteOptional(output, e.SourceName);
            WriteVarint(output, (ulong)e.Severity);
            WriteOptional(output, e.Message);
            WriteOptional(output, e.ConditionId);
            var states = output.GetSpan(1);
            states[0] = (byte)(State(e.Active) | (State(e.Acked) << 2) | (State(e.Confirmed) << 4) | (State(e.Retain) << 6));
            output.Advance(1);
            WriteOptional(output, e.Comment);
        }
    }

    /// <summary>Decodes a message.</summary>
    /// <exception cref="InvalidDataException">The bytes are not an event batch, or break a bound.</exception>
    public static StoredEvent[] Decode(ReadOnlySpan<byte> data)
    {
        var reader = new BatchReader(data, MaxStringBytes);
        if (!reader.Bytes(Magic.Length).SequenceEqual(Magic)) throw new InvalidDataException("Not an event batch (no TPE1 magic).");
        var count = reader.Count(MaxEvents, "events");
        // An event takes at least 24 bytes (two times, and a length or flag for every other field).
        if ((long)count * 24 > reader.Remaining) throw new InvalidDataException($"{count} events cannot fit in {reader.Remaining} bytes.");
        var events = new StoredEvent[count];
        for (var i = 0; i < count; i++)
        {
            var endpoint = reader.String();
            var eventId = reader.Bytes(reader.Count(StoredEvent.MaxEventIdLength, "EventId bytes")).ToArray();
            var time = reader.Time();
            var receiveTime = reader.Time();
            var eventType = reader.String();
            var sourceNode = reader.Optional();
            var sourceName = reader.Optional();
            var severity = reader.Count(int.MaxValue, "severity");
            var message = reader.Optional();
            var conditionId = reader.Optional();
            var states = reader.Bytes(1)[0];
            var comment = reader.Optional();
            events[i] = new StoredEvent(endpoint, eventId, time, receiveTime, eventType, sourceNode, sourceName, severity, message, conditionId,
                State(states, 0), State(states, 2), State(states, 4), State(states, 6), comment);
        }
        if (reader.Remaining != 0) throw new InvalidDataException($"{reader.Remaining} bytes after the last event.");
        return events;
    }

    private static int State(bool? value) => value switch { null => 0, false => 1, true => 2 };

    private static bool? State(byte states, int shift) => ((states >> shift) & 3) switch
    {
        0 => null,
        1 => false,
        2 => true,
        _ => throw new InvalidDataException("A state that is neither null, false nor true."),
    };

    private static void WriteString(IBufferWriter<byte> output, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        BatchWire.WriteUtf8(output, text, 0, MaxStringBytes);
    }

    private static void WriteOptional(IBufferWriter<byte> output, string? text)
    {
        if (text is null) BatchWire.WriteVarint(output, 0);
        else BatchWire.WriteUtf8(output, text, 1, MaxStringBytes);
    }
}
