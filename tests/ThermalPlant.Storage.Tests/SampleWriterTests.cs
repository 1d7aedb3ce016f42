using Dapper;
using Npgsql;
using ThermalPlant.Storage.Schema;
using ThermalPlant.Storage.Writing;

namespace ThermalPlant.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class SampleWriterTests(PostgresFixture postgres)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Theory]
    [MemberData(nameof(PostgresFixture.Paths), MemberType = typeof(PostgresFixture))]
    public async Task Stores_every_value_exactly_once_even_when_a_batch_is_written_again(StoragePath path)
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync(path);
        var writer = new SampleWriter(db, path);
        var end = DateTime.UtcNow;
        var batch = Samples.Series(end, 1000, TimeSpan.FromMilliseconds(100), Samples.Upper, Samples.Lower, Samples.Rpm);

        var first = await writer.WriteAsync(batch, None);
        Assert.Equal(new WriteResult(3000, 3000, Replayed: false), first);

        var again = await writer.WriteAsync(batch, None);
        Assert.Equal(new WriteResult(3000, 0, Replayed: true), again);

        // Half stored before, half new: a replay that runs past the outage.
        var overlapping = Samples.Series(end + TimeSpan.FromSeconds(50), 1000, TimeSpan.FromMilliseconds(100), Samples.Upper, Samples.Lower, Samples.Rpm);
        var partly = await writer.WriteAsync(overlapping, None);
        Assert.Equal(new WriteResult(3000, 1500, Replayed: true), partly);

        await using var connection = await db.OpenConnectionAsync();
        Assert.Equal(4500, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM sensor_values"));
        Assert.Equal(4500, await connection.ExecuteScalarAsync<long>("SELECT count(DISTINCT (tag_id, time)) FROM sensor_values"));
        Assert.Equal(3, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM tags"));
    }

    [Theory]
    [MemberData(nameof(PostgresFixture.Paths), MemberType = typeof(PostgresFixture))]
    public async Task Concurrent_writers_of_the_same_batch_store_it_once(StoragePath path)
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync(path);
        var batch = Samples.Series(DateTime.UtcNow, 2000, TimeSpan.FromMilliseconds(10), Samples.Upper, Samples.Rpm);
        var writers = Enumerable.Range(0, 4).Select(_ => new SampleWriter(db, path)).ToList();

        var results = await Task.WhenAll(writers.Select(w => w.WriteAsync(batch, None)));

        Assert.Equal(4000, results.Sum(r => r.Inserted));
        await using var connection = await db.OpenConnectionAsync();
        Assert.Equal(4000, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM sensor_values"));
        Assert.Equal(2, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM tags"));
    }

    [Theory]
    [MemberData(nameof(PostgresFixture.Paths), MemberType = typeof(PostgresFixture))]
    public async Task Keeps_the_status_code_and_stores_a_missing_value_as_null(StoragePath path)
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync(path);
        var writer = new SampleWriter(db, path);
        var now = DateTime.UtcNow;
        const uint badSensorFailure = 0x808B0000;
        const uint uncertainLastUsable = 0x40900000;
        await writer.WriteAsync(new[]
        {
            new Sample(Samples.Upper, now, 612.5, 0),
            new Sample(Samples.Upper, now.AddSeconds(1), double.NaN, badSensorFailure),
            new Sample(Samples.Upper, now.AddSeconds(2), 611.0, uncertainLastUsable),
        }, None);

        await using var connection = await db.OpenConnectionAsync();
        var rows = (await connection.QueryAsync<(double? Value, int Status, string NodeId, string ClientId)>(
            "SELECT value, status, nodeid, clientid FROM sensor_data WHERE sensorname = 'temperature' AND tagname = 'upper' ORDER BY timestamp")).ToList();
        Assert.Equal([612.5, null, 611.0], rows.Select(r => r.Value));
        Assert.Equal([0u, badSensorFailure, uncertainLastUsable], rows.Select(r => unchecked((uint)r.Status)));
        Assert.All(rows, r => Assert.Equal(Samples.Upper.NodeId, r.NodeId));
        Assert.All(rows, r => Assert.Equal(Samples.Endpoint, r.ClientId));
    }

    [Theory]
    [MemberData(nameof(PostgresFixture.Paths), MemberType = typeof(PostgresFixture))]
    public async Task A_cancelled_write_stores_nothing(StoragePath path)
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync(path);
        var writer = new SampleWriter(db, path);
        var batch = Samples.Series(DateTime.UtcNow, 5000, TimeSpan.FromMilliseconds(10), Samples.Upper, Samples.Rpm);
        await writer.WriteAsync(batch.AsMemory(0, 2), None);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer.WriteAsync(batch.AsMemory(2), new CancellationToken(canceled: true)));

        await using var connection = await db.OpenConnectionAsync();
        Assert.Equal(2, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM sensor_values"));
    }

    [Theory]
    [MemberData(nameof(PostgresFixture.Paths), MemberType = typeof(PostgresFixture))]
    public async Task Refuses_timestamps_that_are_not_UTC(StoragePath path)
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync(path);
        var writer = new SampleWriter(db, path);
        await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteAsync(new[] { new Sample(Samples.Rpm, DateTime.Now, 1500, 0) }, None));
    }

    [Theory]
    [MemberData(nameof(PostgresFixture.Paths), MemberType = typeof(PostgresFixture))]
    public async Task Tag_ids_are_stable_across_resolvers_and_names_follow_the_latest_resolution(StoragePath path)
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync(path);
        var first = new TagResolver(db);
        var id = await first.ResolveAsync(Samples.Rpm, None);
        var renamed = new TagKey(Samples.Rpm.Endpoint, Samples.Rpm.NodeId, "rpm", "main_shaft");
        Assert.Equal(id, await new TagResolver(db).ResolveAsync(renamed, None));
        Assert.Equal(1, first.Count);

        await using var connection = await db.OpenConnectionAsync();
        Assert.Equal("main_shaft", await connection.ExecuteScalarAsync<string>("SELECT tagname FROM tags WHERE id = @id", new { id }));
    }

    [Theory]
    [MemberData(nameof(PostgresFixture.Paths), MemberType = typeof(PostgresFixture))]
    public async Task The_seed_dashboard_queries_run_unchanged_and_return_rows(StoragePath path)
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync(path);
        var writer = new SampleWriter(db, path);
        // Two hours at 1 Hz up to now: the queries look back from the database's now().
        await writer.WriteAsync(Samples.Series(DateTime.UtcNow, 7200, TimeSpan.FromSeconds(1), Samples.Upper, Samples.Rpm), None);

        await using var connection = await db.OpenConnectionAsync();
        foreach (var query in SeedQueries.All)
        {
            await using var command = new NpgsqlCommand(query, connection);
            await using var reader = await command.ExecuteReaderAsync();
            var rows = 0;
            while (await reader.ReadAsync()) rows++;
            Assert.True(rows > 0, $"no rows from: {query}");
        }
    }
}

/// <summary>The seed's dashboard queries, verbatim (issue 6).</summary>
internal static class SeedQueries
{
    public const string UpperTemperature =
        "SELECT time_bucket('5s', timestamp) AS time, avg(value) AS temperature FROM sensor_data WHERE sensorname = 'temperature' AND tagname = 'upper' AND timestamp > now() - interval '1 hour' GROUP BY time ORDER BY time;";

    public const string Rpm =
        "SELECT time_bucket('1m', timestamp) AS time, avg(value) AS avg_value, stddev(value) AS stddev_value FROM sensor_data WHERE sensorname = 'rpm' AND timestamp > now() - interval '24 hours' GROUP BY time ORDER BY time;";

    public const string Correlation = """
        WITH temperature AS (
            SELECT time_bucket('1m', timestamp) AS time, avg(value) AS temperature
            FROM sensor_data
            WHERE sensorname = 'temperature' AND tagname = 'upper' AND timestamp > now() - interval '6 hours'
            GROUP BY time
        ),
        rpm AS (
            SELECT time_bucket('1m', timestamp) AS time, avg(value) AS rpm
            FROM sensor_data
            WHERE sensorname = 'rpm' AND timestamp > now() - interval '6 hours'
            GROUP BY time
        )
        SELECT temperature.time, temperature.temperature, rpm.rpm
        FROM temperature
        JOIN rpm ON temperature.time = rpm.time
        ORDER BY temperature.time;
        """;

    public static readonly string[] All = [UpperTemperature, Rpm, Correlation];
}
