using System.Buffers;
using ThermalPlant.Storage.Events;

namespace ThermalPlant.Nats.Tests;

public sealed class EventBatchCodecTests
{
    private static readonly DateTime Time = new DateTime(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc).AddTicks(1234567);

    private static StoredEvent Alarm(bool? active, bool? acked, bool? confirmed, bool? retain, string? comment) =>
        new("opc.tcp://plant:4840/", [1, 2, 3, 250], Time, Time.AddMilliseconds(3), "ExclusiveLimitAlarmType", "ns=2;s=Plant.Temperature.Upper", "Upper",
            700, "Upper temperature high \u00b0C", "ns=2;s=Plant.Temperature.Upper.HighAlarm", active, acked, confirmed, retain, comment);

    [Fact]
    public void A_batch_decodes_to_the_same_events_in_order_with_every_null_and_state()
    {
        StoredEvent[] events =
        [
            Alarm(true, false, null, true, "checked"),
            Alarm(false, true, true, false, null),
            new("opc.tcp://plant:4840/", [], Time.AddDays(-1), Time, "SystemEventType", null, null, 1, null, null, null, null, null, null, null),
        ];
        var decoded = EventBatchCodec.Decode(Encode(events));
        Assert.Equal(events.Length, decoded.Length);
        for (var i = 0; i < events.Length; i++)
        {
            // Records compare arrays by reference: the id is compared by content, the rest as the record.
            Assert.Equal(events[i].EventId, decoded[i].EventId);
            Assert.Equal(events[i] with { EventId = Array.Empty<byte>() }, decoded[i] with { EventId = Array.Empty<byte>() });
            Assert.Equal(DateTimeKind.Utc, decoded[i].Time.Kind);
        }
    }

    [Fact]
    public void The_same_events_give_the_same_bytes_and_so_the_same_message_id()
    {
        StoredEvent[] events = [Alarm(true, false, false, true, null)];
        Assert.Equal(SampleBatchCodec.MessageId(Encode(events)), SampleBatchCodec.MessageId(Encode([Alarm(true, false, false, true, null)])));
        Assert.NotEqual(SampleBatchCodec.MessageId(Encode(events)), SampleBatchCodec.MessageId(Encode([Alarm(false, false, false, true, null)])));
    }

    [Fact]
    public void Malformed_or_oversized_input_is_refused_without_a_large_allocation()
    {
        var good = Encode([Alarm(true, false, null, true, "c")]);
        Assert.Throws<InvalidDataException>(() => EventBatchCodec.Decode("TPB1"u8));
        Assert.Throws<InvalidDataException>(() => EventBatchCodec.Decode(good.AsSpan(0, good.Length - 1)));
        Assert.Throws<InvalidDataException>(() => EventBatchCodec.Decode([.. good, 0]));
        // A count of a billion events in a few bytes.
        Assert.Throws<InvalidDataException>(() => EventBatchCodec.Decode([.. "TPE1"u8, 0x80, 0x94, 0xEB, 0xDC, 0x03]));
        // Every truncation is refused, never read past its end.
        for (var length = 0; length < good.Length; length++) Assert.Throws<InvalidDataException>(() => EventBatchCodec.Decode(good.AsSpan(0, length)));
        Assert.Throws<ArgumentException>(() => EventBatchCodec.Encode([], new ArrayBufferWriter<byte>()));
        Assert.Throws<ArgumentException>(() => EventBatchCodec.Encode([Alarm(true, null, null, null, null) with { Time = DateTime.SpecifyKind(Time, DateTimeKind.Local) }], new ArrayBufferWriter<byte>()));
        Assert.Throws<ArgumentException>(() => EventBatchCodec.Encode([Alarm(true, null, null, null, null) with { EventId = new byte[65] }], new ArrayBufferWriter<byte>()));
    }

    private static byte[] Encode(IReadOnlyList<StoredEvent> events)
    {
        var buffer = new ArrayBufferWriter<byte>();
        EventBatchCodec.Encode(events, buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
