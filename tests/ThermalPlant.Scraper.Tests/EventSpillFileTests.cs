using System.Buffers.Binary;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Scraper.Events;
using ThermalPlant.Scraper.Sources.OpcUa;
using ThermalPlant.Storage.Events;
using ThermalPlant.Testing;

namespace ThermalPlant.Scraper.Tests;

/// <summary>The event spill file and the conversion of an event's fields, without a server or a database.</summary>
public sealed class EventSpillFileTests : IDisposable
{
    private static readonly DateTime Start = new(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);
    private readonly TempDirectory _data = new("thermalplant-event-spill-");

    public void Dispose() => _data.Dispose();

    [Fact]
    public void Events_survive_a_reopen_from_the_committed_position_with_every_field()
    {
        var events = Enumerable.Range(0, 10).Select(Event).ToList();
        using (var spill = EventSpillCodec.Open(_data.Path))
        {
            spill.Append(events);
            var first = new List<StoredEvent>();
            var position = spill.Read(first, 4);
            Assert.Equal(events.Take(4), first, Same);
            spill.Commit(position, first.Count);
        }
        // As after a crash: the next start has what was not committed, and nothing else.
        using var reopened = EventSpillCodec.Open(_data.Path);
        Assert.Equal(6, reopened.Pending);
        var rest = new List<StoredEvent>();
        var end = reopened.Read(rest, 100);
        Assert.Equal(events.Skip(4), rest, Same);
        reopened.Commit(end, rest.Count);
        Assert.False(File.Exists(Path.Combine(_data.Path, "events.bin")), "the replayed file was not deleted");
    }

    [Fact]
    public void A_torn_last_record_is_cut_off_and_an_impossible_length_is_refused()
    {
        using (var spill = EventSpillCodec.Open(_data.Path))
        {
            spill.Append([Event(1), Event(2)]);
        }
        var file = Path.Combine(_data.Path, "events.bin");
        // A kill in the middle of appending the second record.
        using (var stream = new FileStream(file, FileMode.Open)) stream.SetLength(stream.Length - 7);
        using (var spill = EventSpillCodec.Open(_data.Path))
        {
            Assert.Equal(1, spill.Pending);
            var read = new List<StoredEvent>();
            spill.Read(read, 10);
            Assert.Equal([Event(1)], read, Same);
        }

        // A damaged length: refused, never allocated.
        var bytes = File.ReadAllBytes(file);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), int.MaxValue);
        File.WriteAllBytes(file, bytes);
        Assert.Throws<InvalidDataException>(() => EventSpillCodec.Open(_data.Path));
    }

    [Fact]
    public void A_record_longer_than_a_batch_block_is_read_whole()
    {
        // A batch of one reads a block sized for a typical event; this one is far longer, so the block grows to it.
        var large = Event(1) with { Message = new string('m', 300_000) };
        using var spill = EventSpillCodec.Open(_data.Path);
        spill.Append([Event(0), large, Event(2)]);
        var read = new List<StoredEvent>();
        for (var i = 0; i < 3; i++) spill.Commit(spill.Read(read, 1), 1);
        Assert.Equal([Event(0), large, Event(2)], read, Same);
        Assert.False(File.Exists(Path.Combine(_data.Path, "events.bin")), "the replayed file was not deleted");
    }

    [Fact]
    public void An_events_fields_become_its_row_with_bounded_texts_and_a_content_key_without_an_EventId()
    {
        var condition = NodeId.Of("Plant.Temperature.Upper.Alarm", 2);
        Variant[] fields =
        [
            new(BuiltInType.ByteString, new byte[] { 1, 2, 3 }), new(BuiltInType.NodeId, NodeId.Of(ObjectTypeIds.ExclusiveLimitAlarmType)),
            new(BuiltInType.NodeId, NodeId.Of("Plant.Temperature.Upper", 2)), Variant.From("Upper"), Variant.From(Start), Variant.From(Start.AddMilliseconds(5)),
            new(BuiltInType.LocalizedText, new LocalizedText("en", new string('x', 5000) + "\0")), Variant.From((ushort)700), new(BuiltInType.NodeId, condition),
            Variant.From(true), Variant.From(false), Variant.From(true), Variant.From(true), new(BuiltInType.LocalizedText, new LocalizedText(null, "seen")),
        ];
        var row = EventFields.ToStoredEvent("opc.tcp://plant:4840/", fields, Start.AddHours(1));
        Assert.Equal(("ExclusiveLimitAlarmType", "ns=2;s=Plant.Temperature.Upper", "Upper", 700, "ns=2;s=Plant.Temperature.Upper.Alarm"),
            (row.EventType, row.SourceNode, row.SourceName, row.Severity, row.ConditionId));
        Assert.Equal((Start, Start.AddMilliseconds(5), (bool?)true, (bool?)false, (bool?)true, (bool?)true, "seen"), (row.Time, row.ReceiveTime, row.Active, row.Acked, row.Confirmed, row.Retain, row.Comment));
        Assert.Equal([1, 2, 3], row.EventId);
        Assert.Equal(EventFields.MaxTextLength, row.Message!.Length);

        // A server that selects less: the missing fields are null, the time the scraper's, the key from the content.
        var plain = EventFields.ToStoredEvent("opc.tcp://plant:4840/", [Variant.Null, new(BuiltInType.NodeId, NodeId.Of(999, 3)), Variant.Null, Variant.Null, Variant.Null], Start);
        Assert.Equal(("ns=3;i=999", Start, (string?)null, (bool?)null), (plain.EventType, plain.Time, plain.ConditionId, plain.Active));
        Assert.Equal(StoredEvent.ContentKey(Start, "ns=3;i=999", null, null, null, null, null, 0, null), plain.EventId);
        Assert.True(EventFields.IsQueueOverflow([Variant.Null, new(BuiltInType.NodeId, NodeId.Of(ObjectTypeIds.EventQueueOverflowEventType))]));
        Assert.True(EventFields.IsRefreshBracket([Variant.Null, new(BuiltInType.NodeId, NodeId.Of(ObjectTypeIds.RefreshEndEventType))]));
        Assert.False(EventFields.IsRefreshBracket(fields));
    }

    [Fact]
    public async Task Invalid_event_settings_stop_the_start_naming_their_keys()
    {
        var app = ScraperHost.Create(
        [
            "--urls=http://127.0.0.1:0",
            "--Scraper:Database:ConnectionString=Host=127.0.0.1",
            "--Scraper:OpcUa:Endpoints:0:Url=opc.tcp://127.0.0.1:4840/",
            "--Scraper:OpcUa:Endpoints:0:EventNotifiers:0=Plant",
            "--Scraper:OpcUa:Endpoints:0:EventQueueSize=0",
            "--Scraper:OpcUa:Endpoints:0:EventBackfillOverlap=-00:00:01",
            "--Scraper:Events:QueueCapacity=0",
            "--Scraper:Events:BatchDelay=00:00:00",
            "--Scraper:OpcUa:Endpoints:0:EventBackfillLookback=30.00:00:00",
            "--Scraper:Events:Retention=00:30:00",
            "--Scraper:Events:RetentionInterval=00:00:00",
        ]);
        var failure = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => app.StartAsync());
        var messages = string.Join(Environment.NewLine, failure.Failures);
        Assert.Contains("Scraper:OpcUa:Endpoints:0:EventNotifiers:0 must be a NodeId", messages, StringComparison.Ordinal);
        Assert.Contains("Scraper:OpcUa:Endpoints:0:EventQueueSize must be between", messages, StringComparison.Ordinal);
        Assert.Contains("Scraper:OpcUa:Endpoints:0:EventBackfillOverlap must be between", messages, StringComparison.Ordinal);
        Assert.Contains("Scraper:Events:QueueCapacity must be between", messages, StringComparison.Ordinal);
        Assert.Contains("Scraper:Events:BatchDelay must be between", messages, StringComparison.Ordinal);
        Assert.Contains("Scraper:OpcUa:Endpoints:0:EventBackfillLookback must be between EventBackfillOverlap and BackfillMaxAge", messages, StringComparison.Ordinal);
        Assert.Contains("Scraper:Events:Retention must be at least 1 hour", messages, StringComparison.Ordinal);
        Assert.Contains("Scraper:Events:RetentionInterval must be between", messages, StringComparison.Ordinal);
        await app.DisposeAsync();
    }

    /// <summary>An event with every field, some null, by <paramref name="i"/>.</summary>
    internal static StoredEvent Event(int i) => new(
        "opc.tcp://plant:4840/", [(byte)i, 7], Start.AddSeconds(i), Start.AddSeconds(i).AddTicks(3), i % 2 == 0 ? "OffNormalAlarmType" : "SystemEventType",
        i % 3 == 0 ? null : "ns=2;s=Plant.Temperature.Lower", "Lower", i * 10, $"message {i} ü", i % 2 == 0 ? "ns=2;s=Plant.Temperature.Lower.OffNormal" : null,
        i % 2 == 0 ? true : null, i % 4 == 0 ? false : null, null, i % 2 == 0, i % 5 == 0 ? "a comment" : null);

    private static readonly byte[] NoId = [];

    // Records compare arrays by reference, so the EventIds are compared by content and left out of the rest.
    internal static readonly IEqualityComparer<StoredEvent> Same = EqualityComparer<StoredEvent>.Create(
        (a, b) => a is not null && b is not null && a with { EventId = NoId } == b with { EventId = NoId } && a.EventId.AsSpan().SequenceEqual(b.EventId));
}
