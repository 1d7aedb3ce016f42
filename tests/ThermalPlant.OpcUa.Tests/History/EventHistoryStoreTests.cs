using Microsoft.Extensions.Time.Testing;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.Events;
using ThermalPlant.OpcUa.Server.History;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Testing;

namespace ThermalPlant.OpcUa.Tests.History;

/// <summary>The event stores: ordered by time, bounded by count and age, and the file store read back after a restart.</summary>
public sealed class EventHistoryStoreTests
{
    private static readonly DateTime T0 = new(2026, 11, 30, 6, 0, 0, DateTimeKind.Utc);
    private static readonly NodeId Server = NodeId.Of(ObjectIds.Server);
    private static readonly NodeId Plant = NodeId.Of("Plant", 2);

    [Fact]
    public void The_memory_store_keeps_the_newest_events_within_its_capacity_and_retention_in_time_order()
    {
        var store = new MemoryEventHistoryStore(100, TimeSpan.FromMinutes(10));
        for (var i = 0; i < 300; i++) store.Append(Event(i, T0.AddSeconds(i)), [Server]);
        Assert.Equal(100, store.Count);
        Assert.Equal(Enumerable.Range(200, 100), Numbers(store, Server));

        // Out of order: put in its place (the oldest, 200, makes room). An hour later: everything older than ten minutes before it goes.
        store.Append(Event(1000, T0.AddSeconds(250.5)), [Server]);
        Assert.Equal(201, Numbers(store, Server)[0]);
        Assert.Equal(250, Numbers(store, Server)[49]);
        Assert.Equal(1000, Numbers(store, Server)[50]);
        store.Append(Event(2000, T0.AddHours(1)), [Server]);
        Assert.Equal([2000], Numbers(store, Server));
    }

    [Fact]
    public void Records_packed_across_chunks_and_one_larger_than_a_chunk_read_back_whole()
    {
        // About 2 kB a record: 3,000 of them fill several of the store's 1 MiB chunks, the oldest dropped as it goes.
        var store = new MemoryEventHistoryStore(1000, TimeSpan.FromDays(1));
        for (var i = 0; i < 3000; i++) store.Append(Event(i, T0.AddSeconds(i)).Set("Filler", Variant.From(new string((char)('a' + (i % 26)), 2000))), [Server]);
        // Two fields of 600,000 characters (each within a String's limit): a record larger than a chunk, which gets its own.
        store.Append(Event(3000, T0.AddSeconds(3000)).Set("Filler", Variant.From(new string('z', 600_000))).Set("More", Variant.From(new string('y', 600_000))), [Server]);

        var read = new List<StoredEvent>();
        store.Read(Server, DateTime.MinValue, DateTime.MaxValue, null, newestFirst: false, int.MaxValue, read);
        Assert.Equal(Enumerable.Range(2001, 1000), read.Select(Number));
        foreach (var stored in read)
        {
            var number = Number(stored);
            Assert.True(stored.Event.TryGetField("Filler", out var filler));
            var expected = number == 3000 ? new string('z', 600_000) : new string((char)('a' + (number % 26)), 2000);
            Assert.Equal(expected, filler.Value);
        }
        Assert.True(read[^1].Event.TryGetField("More", out var more));
        Assert.Equal(new string('y', 600_000), more.Value);
    }

    [Fact]
    public void A_read_goes_on_after_a_position_either_way_and_only_for_its_notifier()
    {
        var store = new MemoryEventHistoryStore(100, TimeSpan.FromDays(1));
        for (var i = 0; i < 10; i++) store.Append(Event(i, T0), i % 2 == 0 ? [Plant, Server] : [Server]);
        var page = new List<StoredEvent>();
        Assert.True(store.Read(Plant, T0, T0, null, newestFirst: false, 2, page));
        Assert.Equal([0, 2], page.Select(Number));
        var after = page[^1].Position;
        page.Clear();
        Assert.False(store.Read(Plant, T0, T0, after, newestFirst: false, 10, page));
        Assert.Equal([4, 6, 8], page.Select(Number));

        page.Clear();
        Assert.True(store.Read(Server, T0, T0, null, newestFirst: true, 3, page));
        Assert.Equal([9, 8, 7], page.Select(Number));
        after = page[^1].Position;
        page.Clear();
        Assert.False(store.Read(Server, T0, T0, after, newestFirst: true, 10, page));
        Assert.Equal([6, 5, 4, 3, 2, 1, 0], page.Select(Number));
    }

    [Fact]
    public async Task The_file_store_reads_back_every_field_after_a_restart_and_drops_what_retention_no_longer_keeps()
    {
        using var directory = new TempDirectory("event-history");
        var path = Path.Combine(directory.Path, "events.bin");
        var time = new FakeTimeProvider(T0.AddMinutes(5));
        var condition = NodeId.Of("Plant.Temperature.Limit", 2);
        var raised = new List<UaEvent>();
        await using (var store = new FileEventHistoryStore(path, 1000, TimeSpan.FromHours(1), time))
        {
            for (var i = 0; i < 50; i++)
            {
                var e = Event(i, T0.AddSeconds(i));
                e.EventId = [(byte)i, 1, 2, 3];
                e.ReceiveTime = T0.AddSeconds(i + 0.25);
                if (i % 10 == 0)
                {
                    e = new UaEvent(NodeId.Of(ObjectTypeIds.ExclusiveLimitAlarmType))
                    {
                        SourceNode = NodeId.Of("Plant.Temperature", 2),
                        SourceName = "Plant/Temperature",
                        Time = T0.AddSeconds(i),
                        Severity = 800,
                        Message = new LocalizedText("en", $"event {i}"),
                        ConditionId = condition,
                    }.Set("AckedState/Id", Variant.From(false)).Set("ActiveState", new Variant(BuiltInType.LocalizedText, new LocalizedText("en", "Active")))
                     .Set("LimitState/CurrentState/Id", new Variant(BuiltInType.NodeId, NodeId.Of(ObjectIds.ExclusiveLimitStateMachineType_High)))
                     .Set("HighLimit", Variant.From(80.0)).Set("Quality", Variant.From(StatusCode.Good));
                    e.EventId = [(byte)i];
                    e.ReceiveTime = T0.AddSeconds(i);
                }
                store.Append(e, [Plant, Server]);
                raised.Add(e);
            }
            await store.FlushAsync(CancellationToken.None);
        }

        await using (var reopened = new FileEventHistoryStore(path, 1000, TimeSpan.FromHours(1), time))
        {
            Assert.Equal(50, reopened.Loaded);
            var read = new List<StoredEvent>();
            reopened.Read(Plant, DateTime.MinValue, DateTime.MaxValue, null, newestFirst: false, 100, read);
            Assert.Equal(50, read.Count);
            for (var i = 0; i < 50; i++)
            {
                var (expected, actual) = (raised[i], read[i].Event);
                Assert.Equal(expected.EventType, actual.EventType);
                Assert.Equal(expected.EventId, actual.EventId);
                Assert.Equal(expected.SourceNode, actual.SourceNode);
                Assert.Equal(expected.SourceName, actual.SourceName);
                Assert.Equal(expected.Time, actual.Time);
                Assert.Equal(expected.ReceiveTime, actual.ReceiveTime);
                Assert.Equal(expected.Message, actual.Message);
                Assert.Equal(expected.Severity, actual.Severity);
                Assert.Equal(expected.ConditionId, actual.ConditionId);
                Assert.Equal([Plant, Server], read[i].Notifiers);
                foreach (var path2 in new[] { "AckedState/Id", "ActiveState", "LimitState/CurrentState/Id", "HighLimit", "Quality" })
                {
                    Assert.Equal(expected.TryGetField(path2, out var a), actual.TryGetField(path2, out var b));
                    Assert.Equal(a.Value, b.Value);
                }
            }
        }

        // Two hours on, an hour's retention keeps none of them.
        time.Advance(TimeSpan.FromHours(2));
        await using var later = new FileEventHistoryStore(path, 1000, TimeSpan.FromHours(1), time);
        Assert.Equal(0, later.Loaded);
    }

    [Fact]
    public async Task A_quiet_file_store_drops_what_its_retention_no_longer_keeps_at_each_flush()
    {
        using var directory = new TempDirectory("event-history");
        var path = Path.Combine(directory.Path, "events.bin");
        var time = new FakeTimeProvider(T0.AddMinutes(46));
        await using var store = new FileEventHistoryStore(path, 1000, TimeSpan.FromHours(1), time);
        for (var i = 0; i < 10; i++) store.Append(Event(i, T0.AddMinutes(i * 5)), [Plant, Server]);
        await store.FlushAsync(CancellationToken.None);
        Assert.Equal(10, store.Count);

        // No event comes any more; by the clock the first five (0 to 20 min) are past an hour's retention at 1 h 25 min.
        time.Advance(TimeSpan.FromMinutes(39));
        await store.FlushAsync(CancellationToken.None);
        Assert.Equal(5, store.Count);
        var read = new List<StoredEvent>();
        store.Read(Plant, DateTime.MinValue, DateTime.MaxValue, null, newestFirst: false, 100, read);
        Assert.Equal([T0.AddMinutes(25), T0.AddMinutes(30), T0.AddMinutes(35), T0.AddMinutes(40), T0.AddMinutes(45)], read.Select(e => e.Event.Time));
    }

    [Fact]
    public async Task A_record_cut_short_or_damaged_ends_what_is_read_back()
    {
        using var directory = new TempDirectory("event-history");
        var path = Path.Combine(directory.Path, "events.bin");
        var time = new FakeTimeProvider(T0);
        await using (var store = new FileEventHistoryStore(path, 100, TimeSpan.FromDays(1), time))
        {
            for (var i = 0; i < 10; i++) store.Append(Event(i, T0.AddSeconds(i)), [Server]);
        }
        var bytes = await File.ReadAllBytesAsync(path);
        await File.WriteAllBytesAsync(path, bytes[..^5]);
        await using (var cut = new FileEventHistoryStore(path, 100, TimeSpan.FromDays(1), time))
        {
            Assert.Equal(9, cut.Loaded);
        }

        // A length beyond any record: nothing after it is read, nothing is allocated for it.
        await File.WriteAllBytesAsync(path, [.. bytes[..(bytes.Length / 2)], 0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3]);
        await using var damaged = new FileEventHistoryStore(path, 100, TimeSpan.FromDays(1), time);
        Assert.InRange(damaged.Loaded, 1, 5);
    }

    [Fact]
    public async Task The_file_is_compacted_to_what_the_store_keeps()
    {
        using var directory = new TempDirectory("event-history");
        var path = Path.Combine(directory.Path, "events.bin");
        var time = new FakeTimeProvider(T0);
        await using (var store = new FileEventHistoryStore(path, 100, TimeSpan.FromDays(1), time))
        {
            // Some 20,000 events of about 100 bytes pass the 1 MiB at which the file is first compacted.
            for (var i = 0; i < 20_000; i++)
            {
                store.Append(Event(i, T0.AddSeconds(i)), [Server]);
                if (i % 1000 == 999) await store.FlushAsync(CancellationToken.None);
            }
            Assert.InRange(new FileInfo(path).Length, 1, 3 << 20);
        }
        await using var reopened = new FileEventHistoryStore(path, 100, TimeSpan.FromDays(1), time);
        Assert.Equal(100, reopened.Count);
        Assert.Equal(Enumerable.Range(19_900, 100), Numbers(reopened, Server));
    }

    private static UaEvent Event(int number, DateTime time) => new(NodeId.Of(ObjectTypeIds.SystemEventType))
    {
        SourceNode = Plant,
        SourceName = "Plant",
        Time = time,
        Severity = 100,
        Message = new LocalizedText(null, $"event {number}"),
    };

    private static int Number(StoredEvent stored) => int.Parse(stored.Event.Message.Text![6..], System.Globalization.CultureInfo.InvariantCulture);

    private static List<int> Numbers(IEventHistoryStore store, NodeId notifier)
    {
        var read = new List<StoredEvent>();
        store.Read(notifier, DateTime.MinValue, DateTime.MaxValue, null, newestFirst: false, int.MaxValue, read);
        return [.. read.Select(Number)];
    }
}
