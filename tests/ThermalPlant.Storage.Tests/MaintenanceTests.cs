using Dapper;
using Microsoft.Extensions.Time.Testing;
using ThermalPlant.Storage.Maintenance;
using ThermalPlant.Storage.Schema;
using ThermalPlant.Storage.Writing;

namespace ThermalPlant.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class MaintenanceTests(PostgresFixture postgres)
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly DateTimeOffset Now = new(2024, 3, 10, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Partitions_are_created_ahead_and_retention_drops_whole_old_days()
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync();
        var time = new FakeTimeProvider(Now);
        var maintainer = new PartitionMaintainer(db, StoragePath.Plain, new PartitionMaintainerOptions { DaysAhead = 3, Retention = TimeSpan.FromDays(7) }, time);

        Assert.Equal(4, await maintainer.CreateAheadAsync(None));
        Assert.Equal(0, await maintainer.CreateAheadAsync(None));

        // The writer makes the partitions of days it has not seen (a replay of old data).
        var writer = new SampleWriter(db, StoragePath.Plain, timeProvider: time);
        foreach (var day in new[] { 1, 2, 3, 10 })
        {
            await writer.WriteAsync(Samples.Series(new DateTime(2024, 3, day, 12, 0, 0, DateTimeKind.Utc), 10, TimeSpan.FromSeconds(1), Samples.Upper), None);
        }
        Assert.Equal(["sensor_values_p20240301", "sensor_values_p20240302", "sensor_values_p20240303", "sensor_values_p20240310",
            "sensor_values_p20240311", "sensor_values_p20240312", "sensor_values_p20240313"], await PartitionsAsync(db));

        // Cutoff 2024-03-03 12:00: the 1st and 2nd end before it; the 3rd still holds rows within retention.
        Assert.Equal(["sensor_values_p20240301", "sensor_values_p20240302"], await maintainer.ApplyRetentionAsync(None));
        Assert.Equal(["sensor_values_p20240303", "sensor_values_p20240310", "sensor_values_p20240311", "sensor_values_p20240312", "sensor_values_p20240313"],
            await PartitionsAsync(db));
        await using var connection = await db.OpenConnectionAsync();
        Assert.Equal(20, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM sensor_values"));

        // The writer had seen the 1st: writing there again recreates the dropped partition instead of failing.
        var replay = await writer.WriteAsync(Samples.Series(new DateTime(2024, 3, 1, 13, 0, 0, DateTimeKind.Utc), 5, TimeSpan.FromSeconds(1), Samples.Upper), None);
        Assert.Equal(5, replay.Inserted);
    }

    [Fact]
    public async Task Aggregate_retention_keeps_rollups_longer_than_raw_and_deletes_only_buckets_that_ended_before_it()
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync();
        Assert.Equal(TimeSpan.FromDays(90), new PartitionMaintainerOptions().AggregateRetention);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PartitionMaintainer(db, StoragePath.Plain,
            new PartitionMaintainerOptions { Retention = TimeSpan.FromDays(7), AggregateRetention = TimeSpan.FromDays(6) }));

        var time = new FakeTimeProvider(Now);
        var maintainer = new PartitionMaintainer(db, StoragePath.Plain, new PartitionMaintainerOptions { Retention = TimeSpan.FromDays(7), AggregateRetention = TimeSpan.FromDays(30) }, time);
        var cutoff = Now.UtcDateTime - TimeSpan.FromDays(30);
        await using var connection = await db.OpenConnectionAsync();
        // Per rollup: a bucket that ends exactly at the cutoff (deleted), one that straddles it and one a raw-retention old (kept).
        foreach (var (relation, width) in new[] { ("rolling_avg_sensor_data_5s", TimeSpan.FromSeconds(5)), ("rolling_avg_sensor_data1m", TimeSpan.FromMinutes(1)) })
        {
            foreach (var bucket in new[] { cutoff - width, cutoff - (width / 2), Now.UtcDateTime - TimeSpan.FromDays(8) })
            {
                await connection.ExecuteAsync($"INSERT INTO {relation} (bucket, tag_id, avg_value, min_value, max_value, stddev_value, sample_count) VALUES (@bucket, 1, 1, 1, 1, 0, 1)", new { bucket });
            }
        }
        foreach (var bucket in new[] { cutoff - TimeSpan.FromDays(1), cutoff - TimeSpan.FromSeconds(5), cutoff })
        {
            await connection.ExecuteAsync("INSERT INTO rolling_count_sensor_data_5s (bucket, tag_id, sample_count) VALUES (@bucket, 1, 1)", new { bucket });
        }

        var purged = await maintainer.ApplyAggregateRetentionAsync(None);

        Assert.Equal(
            [new RollupPurge("rolling_avg_sensor_data1m", 1), new RollupPurge("rolling_avg_sensor_data_5s", 1), new RollupPurge("rolling_count_sensor_data_5s", 2)],
            purged);
        Assert.Equal([cutoff - TimeSpan.FromSeconds(30), Now.UtcDateTime - TimeSpan.FromDays(8)],
            await connection.QueryAsync<DateTime>("SELECT bucket FROM rolling_avg_sensor_data1m ORDER BY bucket"));
        Assert.Equal([cutoff], await connection.QueryAsync<DateTime>("SELECT bucket FROM rolling_count_sensor_data_5s"));
        Assert.All(await maintainer.ApplyAggregateRetentionAsync(None), p => Assert.Equal(0, p.BucketsDeleted));
    }

    [Fact]
    public async Task Rollups_match_avg_min_max_stddev_and_count_of_the_raw_data()
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync();
        var time = new FakeTimeProvider(Now);
        var writer = new SampleWriter(db, StoragePath.Plain, timeProvider: time);
        // Five minutes at 4 Hz from 11:55:00 on: every 5 s bucket holds 20 samples of each tag.
        var samples = Samples.Series(Now.UtcDateTime.AddMilliseconds(-250), 5 * 60 * 4, TimeSpan.FromMilliseconds(250), Samples.Upper, Samples.Lower, Samples.Rpm);
        await writer.WriteAsync(samples, None);
        var ids = await TagIdsAsync(db);

        var refreshes = await new RollupMaintainer(db, StoragePath.Plain, time).RefreshAllAsync(None);
        Assert.Equal(3, refreshes.Count);

        await AssertRollupAsync(db, "rolling_avg_sensor_data_5s", TimeSpan.FromSeconds(5), Now.UtcDateTime - TimeSpan.FromSeconds(5), samples, ids);
        await AssertRollupAsync(db, "rolling_avg_sensor_data1m", TimeSpan.FromMinutes(1), Now.UtcDateTime - TimeSpan.FromSeconds(30), samples, ids);
        await using var connection = await db.OpenConnectionAsync();
        var counts = await connection.QueryAsync<(DateTime Bucket, int TagId, long Count)>("SELECT bucket, tag_id, sample_count FROM rolling_count_sensor_data_5s");
        Assert.Equal(3 * ((5 * 60 / 5) - 1), counts.Count());
        Assert.All(counts, c => Assert.Equal(20, c.Count));
    }

    [Fact]
    public async Task Late_rows_are_folded_into_buckets_already_refreshed_and_schedules_are_kept()
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync();
        var time = new FakeTimeProvider(Now);
        var writer = new SampleWriter(db, StoragePath.Plain, timeProvider: time);
        var maintainer = new RollupMaintainer(db, StoragePath.Plain, time);
        var samples = Samples.Series(Now.UtcDateTime, 120, TimeSpan.FromSeconds(1), Samples.Upper);
        await writer.WriteAsync(samples, None);
        Assert.Equal(3, (await maintainer.RefreshDueAsync(None)).Count);
        Assert.Empty(await maintainer.RefreshDueAsync(None));

        // A replay after an outage: rows half a second after each stored one, a minute back, inside refreshed buckets.
        var late = samples.Take(60).Select(s => s with { Timestamp = s.Timestamp.AddMilliseconds(500), Value = s.Value + 1 }).ToArray();
        await writer.WriteAsync(late, None);

        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(["rolling_avg_sensor_data_5s", "rolling_count_sensor_data_5s"], (await maintainer.RefreshDueAsync(None)).Select(r => r.Relation));
        time.Advance(TimeSpan.FromSeconds(25));
        Assert.Equal(3, (await maintainer.RefreshDueAsync(None)).Count);

        var ids = await TagIdsAsync(db);
        var all = samples.Concat(late).ToArray();
        await AssertRollupAsync(db, "rolling_avg_sensor_data_5s", TimeSpan.FromSeconds(5), time.GetUtcNow().UtcDateTime - TimeSpan.FromSeconds(5), all, ids);
        await AssertRollupAsync(db, "rolling_avg_sensor_data1m", TimeSpan.FromMinutes(1), time.GetUtcNow().UtcDateTime - TimeSpan.FromSeconds(30), all, ids);
    }

    [Fact]
    public async Task Late_rows_written_while_a_refresh_runs_do_not_wait_for_it_and_the_next_refresh_folds_them_in()
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync();
        var time = new FakeTimeProvider(Now);
        var writer = new SampleWriter(db, StoragePath.Plain, timeProvider: time);
        var maintainer = new RollupMaintainer(db, StoragePath.Plain, time);
        var samples = Samples.Series(Now.UtcDateTime, 120, TimeSpan.FromSeconds(1), Samples.Upper);
        await writer.WriteAsync(samples, None);
        Assert.Equal(3, (await maintainer.RefreshDueAsync(None)).Count);

        // A refresh that has not finished: its transaction holds the rollup's row lock until it commits.
        await using var refreshing = await db.OpenConnectionAsync();
        await using var running = await refreshing.BeginTransactionAsync();
        await refreshing.ExecuteAsync("SELECT refresh_rollup('rolling_avg_sensor_data_5s', @asOf)", new { asOf = time.GetUtcNow().UtcDateTime }, running);

        // A replay a minute back lands meanwhile, without waiting for that refresh.
        var late = samples.Take(60).Select(s => s with { Timestamp = s.Timestamp.AddMilliseconds(500), Value = s.Value + 1 }).ToArray();
        await writer.WriteAsync(late, None).WaitAsync(TimeSpan.FromSeconds(10));
        await running.CommitAsync();

        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(3, (await maintainer.RefreshDueAsync(None)).Count);
        var ids = await TagIdsAsync(db);
        var all = samples.Concat(late).ToArray();
        await AssertRollupAsync(db, "rolling_avg_sensor_data_5s", TimeSpan.FromSeconds(5), time.GetUtcNow().UtcDateTime - TimeSpan.FromSeconds(5), all, ids);
        await AssertRollupAsync(db, "rolling_avg_sensor_data1m", TimeSpan.FromMinutes(1), time.GetUtcNow().UtcDateTime - TimeSpan.FromSeconds(30), all, ids);
        await using var connection = await db.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM rollup_invalidations"));
    }

    private static async Task AssertRollupAsync(Npgsql.NpgsqlDataSource db, string relation, TimeSpan width, DateTime end, Sample[] samples, IReadOnlyDictionary<TagKey, int> ids)
    {
        var origin = new DateTime(2000, 1, 3, 0, 0, 0, DateTimeKind.Utc);
        var windowEnd = origin.AddTicks((end - origin).Ticks / width.Ticks * width.Ticks);
        var expected = samples
            .Where(s => s.Timestamp < windowEnd)
            .GroupBy(s => (Bucket: origin.AddTicks((s.Timestamp - origin).Ticks / width.Ticks * width.Ticks), TagId: ids[s.Tag]))
            .ToDictionary(g => g.Key, g => g.Select(s => s.Value).ToArray());

        await using var connection = await db.OpenConnectionAsync();
        var rows = (await connection.QueryAsync<(DateTime Bucket, int TagId, double Avg, double Min, double Max, double? StdDev, long Count)>(
            $"SELECT bucket, tag_id, avg_value, min_value, max_value, stddev_value, sample_count FROM {relation}")).ToList();

        Assert.Equal(expected.Count, rows.Count);
        foreach (var row in rows)
        {
            var values = expected[(row.Bucket, row.TagId)];
            var mean = values.Average();
            Assert.Equal(values.Length, row.Count);
            Assert.Equal(mean, row.Avg, 1e-9);
            Assert.Equal(values.Min(), row.Min);
            Assert.Equal(values.Max(), row.Max);
            if (values.Length == 1)
            {
                // The sample standard deviation of one value is undefined: NULL, as stddev() answers.
                Assert.Null(row.StdDev);
            }
            else
            {
                Assert.Equal(Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1)), row.StdDev!.Value, 1e-9);
            }
        }
    }

    private static async Task<IReadOnlyDictionary<TagKey, int>> TagIdsAsync(Npgsql.NpgsqlDataSource db)
    {
        var resolver = new TagResolver(db);
        var ids = new Dictionary<TagKey, int>();
        foreach (var tag in new[] { Samples.Upper, Samples.Lower, Samples.Rpm }) ids[tag] = await resolver.ResolveAsync(tag, None);
        return ids;
    }

    private static async Task<List<string>> PartitionsAsync(Npgsql.NpgsqlDataSource db)
    {
        await using var connection = await db.OpenConnectionAsync();
        return (await connection.QueryAsync<string>(
            "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'sensor_values'::regclass ORDER BY 1")).ToList();
    }
}
