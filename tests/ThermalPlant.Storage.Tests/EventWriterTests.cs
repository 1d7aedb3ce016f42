using Dapper;
using ThermalPlant.Storage.Events;
using ThermalPlant.Storage.Schema;

namespace ThermalPlant.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class EventWriterTests(PostgresFixture postgres)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Theory]
    [MemberData(nameof(PostgresFixture.Paths), MemberType = typeof(PostgresFixture))]
    public async Task Stores_each_event_once_even_when_a_batch_is_written_again(StoragePath path)
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync(path);
        var writer = new EventWriter(db);
        var start = new DateTime(2026, 12, 6, 10, 0, 0, DateTimeKind.Utc);
        var batch = Enumerable.Range(0, 200).Select(i => Alarm(start.AddSeconds(i), i)).ToArray();

        Assert.Equal(200, await writer.WriteAsync(batch, None));
        Assert.Equal(0, await writer.WriteAsync(batch, None));
        // Half stored before, half new: a replay that runs past the outage, or a back-fill that overlaps live events.
        var overlapping = Enumerable.Range(100, 200).Select(i => Alarm(start.AddSeconds(i), i)).ToArray();
        Assert.Equal(100, await writer.WriteAsync(overlapping, None));

        await using var connection = await db.OpenConnectionAsync();
        Assert.Equal(300, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM events"));
        var row = await connection.QuerySingleAsync<(DateTime Time, string Type, string Source, int Severity, string Message, string Condition, bool Active, bool Acked, bool? Confirmed, string Comment)>(
            "SELECT time, event_type, source_name, severity, message, condition_id, active, acked, confirmed, comment FROM events WHERE time = @time",
            new { time = start.AddSeconds(7) });
        Assert.Equal(("ExclusiveLimitAlarmType", "Upper", 700, "reading 7", "ns=2;s=Plant.Temperature.Upper.HighLimit", false, false, (bool?)null, "checked"),
            (row.Type, row.Source, row.Severity, row.Message, row.Condition, row.Active, row.Acked, row.Confirmed, row.Comment));
    }

    [Theory]
    [MemberData(nameof(PostgresFixture.Paths), MemberType = typeof(PostgresFixture))]
    public async Task An_event_without_an_EventId_is_keyed_by_its_content(StoragePath path)
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync(path);
        var writer = new EventWriter(db);
        var time = new DateTime(2026, 12, 6, 11, 0, 0, DateTimeKind.Utc);
        StoredEvent Plain(string message) => new("opc.tcp://127.0.0.1:4840/", StoredEvent.ContentKey(time, "BaseEventType", "i=2253", null, null, null, null, 100, message),
            time, time, "BaseEventType", "i=2253", "Server", 100, message, null, null, null, null, null, null);

        Assert.Equal(1, await writer.WriteAsync([Plain("DMZ lost")], None));
        // The same content later (read back from history) is the same row; another message at the same time is another.
        Assert.Equal(0, await writer.WriteAsync([Plain("DMZ lost")], None));
        Assert.Equal(1, await writer.WriteAsync([Plain("DMZ back")], None));
        Assert.NotEqual(StoredEvent.ContentKey(time, "BaseEventType", null, null, true, null, null, 100, null), StoredEvent.ContentKey(time, "BaseEventType", null, null, false, null, null, 100, null));
        Assert.Equal(32, StoredEvent.BoundedEventId(new byte[StoredEvent.MaxEventIdLength + 1]).Length);
        Assert.Equal(16, StoredEvent.BoundedEventId(new byte[16]).Length);

        await using var connection = await db.OpenConnectionAsync();
        Assert.Equal(2, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM events WHERE active IS NULL AND condition_id IS NULL"));
    }

    [Theory]
    [MemberData(nameof(PostgresFixture.Paths), MemberType = typeof(PostgresFixture))]
    public async Task The_events_table_is_a_hypertable_only_on_the_TimescaleDB_path(StoragePath path)
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync(path);
        await using var connection = await db.OpenConnectionAsync();
        var hypertable = path == StoragePath.TimescaleDb && await connection.ExecuteScalarAsync<bool>(
            "SELECT EXISTS (SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'events')");
        Assert.Equal(path == StoragePath.TimescaleDb, hypertable);
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'events' AND indexname = 'events_endpoint_event_id_time_key'"));
    }

    [Theory]
    [MemberData(nameof(PostgresFixture.Paths), MemberType = typeof(PostgresFixture))]
    public async Task Events_past_the_retention_are_removed_and_the_rest_kept(StoragePath path)
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync(path);
        var writer = new EventWriter(db);
        var now = DateTime.UtcNow;
        // More old rows than one DELETE takes, so the plain path's job goes round more than once.
        var old = Enumerable.Range(0, EventRetention.DeleteBatch * 2 + 500).Select(i => Alarm(now.AddDays(-40).AddSeconds(i), i)).ToArray();
        await writer.WriteAsync(old, None);
        await writer.WriteAsync([.. Enumerable.Range(0, 50).Select(i => Alarm(now.AddDays(-1).AddSeconds(i), i))], None);
        var retention = new EventRetention(db, TimeSpan.FromDays(30), TimeProvider.System);

        await using var connection = await db.OpenConnectionAsync();
        if (path == StoragePath.TimescaleDb)
        {
            // Migration 11's policy (90 days) is replaced by the configured one, once.
            Assert.Equal(TimeSpan.FromDays(90), await retention.ApplyPolicyAsync(path, None));
            Assert.Null(await retention.ApplyPolicyAsync(path, None));
            Assert.Equal(0, await retention.DeleteExpiredAsync(path, None));
            var job = await connection.ExecuteScalarAsync<int>(
                "SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention' AND hypertable_name = 'events'");
            await connection.ExecuteAsync($"CALL run_job({job})");
        }
        else
        {
            Assert.Null(await retention.ApplyPolicyAsync(path, None));
            Assert.Equal(old.Length, await retention.DeleteExpiredAsync(path, None));
            Assert.Equal(0, await retention.DeleteExpiredAsync(path, None));
        }

        Assert.Equal(50, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM events"));
        Assert.True(await connection.ExecuteScalarAsync<DateTime>("SELECT min(time) FROM events") > now.AddDays(-2));
    }

    private static StoredEvent Alarm(DateTime time, int i) => new(
        "opc.tcp://127.0.0.1:4840/freeopcua/server/", BitConverter.GetBytes((long)i), time, time.AddMilliseconds(3), "ExclusiveLimitAlarmType",
        "ns=2;s=Plant.Temperature.Upper", "Upper", 100 * (i % 10), $"reading {i}", "ns=2;s=Plant.Temperature.Upper.HighLimit",
        i % 2 == 0, i % 3 == 0, null, true, "checked");
}
