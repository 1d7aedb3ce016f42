using Dapper;
using Npgsql;
using ThermalPlant.Storage.Maintenance;
using ThermalPlant.Storage.Schema;
using ThermalPlant.Storage.Writing;

namespace ThermalPlant.Storage.Tests;

/// <summary>
/// What both schema paths must do alike, run on each: migrations, aggregates against the raw rows after their
/// refresh ran, late rows (into a compressed chunk on TimescaleDB), retention, and the seed's queries. TimescaleDB's
/// jobs are run with <c>run_job</c>, never waited for. A server without TimescaleDB fails these tests with what to install.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class TimescaleDbPathTests(PostgresFixture postgres)
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static readonly string[] Aggregates = ["rolling_avg_sensor_data1m", "rolling_avg_sensor_data_5s", "rolling_count_sensor_data_5s"];

    [Fact]
    public async Task TimescaleDB_path_makes_a_hypertable_continuous_aggregates_and_policies()
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync(StoragePath.TimescaleDb);
        Assert.Equal(StoragePath.TimescaleDb, (await new SchemaMigrator(db).GetStatusAsync(None)).Path);

        await using var connection = await db.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_name = 'sensor_values' AND compression_enabled"));
        Assert.Equal(Aggregates,
            await connection.QueryAsync<string>("SELECT view_name::text FROM timescaledb_information.continuous_aggregates WHERE materialized_only ORDER BY 1"));
        // The extension's own jobs (telemetry, job history retention) have no hypertable; ours all do.
        Assert.Equal(["policy_compression", "policy_refresh_continuous_aggregate", "policy_retention"],
            await connection.QueryAsync<string>("SELECT DISTINCT proc_name::text FROM timescaledb_information.jobs WHERE hypertable_name IS NOT NULL ORDER BY 1"));
    }

    [Theory]
    [MemberData(nameof(PostgresFixture.Paths), MemberType = typeof(PostgresFixture))]
    public async Task Migrations_from_empty_and_from_every_earlier_version_reach_the_newest(StoragePath path)
    {
        var migrations = MigrationCatalog.For(path);
        var preference = path == StoragePath.TimescaleDb ? StoragePathPreference.TimescaleDb : StoragePathPreference.Plain;
        for (var applied = 0; applied < migrations.Count; applied++)
        {
            // A database as an older release left it: only the first versions applied.
            await using var older = await postgres.CreateDatabaseAsync();
            await ApplyFirstAsync(older, migrations, applied, path);

            var result = await new SchemaMigrator(older, new SchemaMigratorOptions { Path = preference }).MigrateAsync(None);

            Assert.Equal(path, result.Path);
            Assert.Equal(migrations.Skip(applied).Select(m => m.Version), result.AppliedNow.Select(m => m.Version));
            Assert.Empty((await new SchemaMigrator(older).GetStatusAsync(None)).Pending);
            Assert.Empty((await new SchemaMigrator(older).MigrateAsync(None)).AppliedNow);
        }
    }

    [Theory]
    [MemberData(nameof(PostgresFixture.Paths), MemberType = typeof(PostgresFixture))]
    public async Task Asking_a_migrated_database_for_the_other_path_is_refused_with_how_to_move(StoragePath path)
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync(path);
        var other = path == StoragePath.Plain ? StoragePathPreference.TimescaleDb : StoragePathPreference.Plain;

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(
            () => new SchemaMigrator(db, new SchemaMigratorOptions { Path = other }).MigrateAsync(None));

        Assert.Contains("docs/operations.md", refused.Message, StringComparison.Ordinal);
        Assert.Equal(path, (await new SchemaMigrator(db).MigrateAsync(None)).Path);
    }

    [Theory]
    [MemberData(nameof(PostgresFixture.Paths), MemberType = typeof(PostgresFixture))]
    public async Task Aggregates_equal_a_group_by_over_the_raw_rows_once_their_refresh_ran(StoragePath path)
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync(path);
        var end = DateTime.UtcNow.AddMinutes(-1);
        await new SampleWriter(db, path).WriteAsync(Samples.Series(end, 1800, TimeSpan.FromSeconds(1), Samples.Upper, Samples.Rpm), None);

        await RefreshAggregatesAsync(db, path);

        await using var connection = await db.OpenConnectionAsync();
        foreach (var (relation, width, startOffset, endOffset) in new[]
        {
            ("rolling_avg_sensor_data_5s", "5 seconds", "10 minutes", "5 seconds"),
            ("rolling_avg_sensor_data1m", "1 minute", "1 hour", "30 seconds"),
        })
        {
            // Every whole bucket inside the policy's window, computed again from the raw rows.
            var sql = $"""
                WITH window_ AS (
                    SELECT time_bucket(interval '{width}', now() - interval '{startOffset}') + interval '{width}' AS lo,
                           time_bucket(interval '{width}', now() - interval '{endOffset}') - interval '{width}' AS hi),
                raw AS (
                    SELECT time_bucket(interval '{width}', time) AS bucket, tag_id, round(avg(value)::numeric, 6) AS avg_value,
                           min(value) AS min_value, max(value) AS max_value, round(stddev(value)::numeric, 6) AS stddev_value, count(*) AS sample_count
                    FROM sensor_values, window_ WHERE time >= lo AND time < hi GROUP BY 1, 2),
                agg AS (
                    SELECT bucket, tag_id, round(avg_value::numeric, 6), min_value, max_value, round(stddev_value::numeric, 6), sample_count
                    FROM {relation}, window_ WHERE bucket >= lo AND bucket < hi)
                SELECT (SELECT count(*) FROM raw), (SELECT count(*) FROM (SELECT * FROM raw EXCEPT SELECT * FROM agg) d),
                       (SELECT count(*) FROM (SELECT * FROM agg EXCEPT SELECT * FROM raw) d)
                """;
            var (buckets, missing, extra) = await connection.QuerySingleAsync<(long, long, long)>(sql);
            Assert.True(buckets > 10, $"{relation}: only {buckets} buckets in the refresh window");
            Assert.Equal((0L, 0L), (missing, extra));
        }
        await AssertNoJobFailedAsync(db, path);
    }

    [Theory]
    [MemberData(nameof(PostgresFixture.Paths), MemberType = typeof(PostgresFixture))]
    public async Task A_late_row_and_a_replay_into_an_old_and_on_TimescaleDB_compressed_chunk_are_stored_once(StoragePath path)
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync(path);
        var writer = new SampleWriter(db, path);
        var old = DateTime.UtcNow.Date.AddDays(-3).AddHours(12);
        var batch = Samples.Series(old, 600, TimeSpan.FromSeconds(1), Samples.Upper, Samples.Rpm);
        Assert.Equal(1200, (await writer.WriteAsync(batch, None)).Inserted);

        await using var connection = await db.OpenConnectionAsync();
        if (path == StoragePath.TimescaleDb)
        {
            await RunJobsAsync(connection, "policy_compression");
            Assert.True(await connection.ExecuteScalarAsync<bool>(
                "SELECT bool_and(is_compressed) FROM timescaledb_information.chunks WHERE hypertable_name = 'sensor_values' AND range_end <= now() - interval '1 day'"));
        }

        // The replay goes through the staging table (a unique violation); the late row lands between stored ones.
        var replay = await writer.WriteAsync(batch, None);
        Assert.Equal(new WriteResult(1200, 0, Replayed: true), replay);
        var late = new Sample(Samples.Upper, old.AddMilliseconds(-500), 777.25, 0);
        Assert.Equal(1, (await writer.WriteAsync(new[] { late }, None)).Inserted);

        Assert.Equal(1201, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM sensor_values"));
        Assert.Equal(777.25, await connection.ExecuteScalarAsync<double>(
            "SELECT value FROM sensor_data WHERE tagname = 'upper' AND timestamp = @time", new { time = late.Timestamp }));
        Assert.Equal(batch.Where(s => s.Tag == Samples.Rpm).Sum(s => s.Value), await connection.ExecuteScalarAsync<double>(
            "SELECT sum(value) FROM sensor_data WHERE sensorname = 'rpm'"), 6);
        await AssertNoJobFailedAsync(db, path);
    }

    [Theory]
    [MemberData(nameof(PostgresFixture.Paths), MemberType = typeof(PostgresFixture))]
    public async Task Retention_drops_raw_rows_older_than_seven_days_and_keeps_the_rest(StoragePath path)
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync(path);
        var writer = new SampleWriter(db, path);
        var now = DateTime.UtcNow;
        await writer.WriteAsync(Samples.Series(now.AddDays(-9), 60, TimeSpan.FromSeconds(1), Samples.Upper), None);
        await writer.WriteAsync(Samples.Series(now.AddDays(-2), 60, TimeSpan.FromSeconds(1), Samples.Upper), None);

        await using var connection = await db.OpenConnectionAsync();
        if (path == StoragePath.TimescaleDb)
        {
            await RunJobsAsync(connection, "policy_retention");
        }
        else
        {
            await new PartitionMaintainer(db, path).ApplyRetentionAsync(None);
        }

        Assert.Equal(60, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM sensor_values"));
        Assert.True(await connection.ExecuteScalarAsync<DateTime>("SELECT min(time) FROM sensor_values") > now.AddDays(-3));
        await AssertNoJobFailedAsync(db, path);
    }

    [Fact]
    public async Task The_seed_queries_answer_alike_on_both_paths_for_the_same_rows()
    {
        await using var plain = await postgres.CreateMigratedDatabaseAsync(StoragePath.Plain);
        await using var timescale = await postgres.CreateMigratedDatabaseAsync(StoragePath.TimescaleDb);
        // Ending well inside every query's window, so both answer from the same rows whatever the second they run.
        var batch = Samples.Series(DateTime.UtcNow.AddMinutes(-2), 2400, TimeSpan.FromSeconds(1), Samples.Upper, Samples.Rpm);
        await new SampleWriter(plain, StoragePath.Plain).WriteAsync(batch, None);
        await new SampleWriter(timescale, StoragePath.TimescaleDb).WriteAsync(batch, None);

        foreach (var query in SeedQueries.All)
        {
            var expected = await ReadAllAsync(plain, query);
            Assert.NotEmpty(expected);
            Assert.Equal(expected, await ReadAllAsync(timescale, query));
        }
    }

    private static async Task<List<string>> ReadAllAsync(NpgsqlDataSource db, string query)
    {
        await using var connection = await db.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(query, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            var fields = new object[reader.FieldCount];
            reader.GetValues(fields);
            rows.Add(string.Join('|', fields.Select(f => f is double d ? d.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : Convert.ToString(f, System.Globalization.CultureInfo.InvariantCulture))));
        }
        return rows;
    }

    private static async Task ApplyFirstAsync(NpgsqlDataSource db, IReadOnlyList<Migration> migrations, int count, StoragePath path)
    {
        await using var connection = await db.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, path text NOT NULL,
                checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
            """);
        foreach (var migration in migrations.Take(count))
        {
            if (migration.Sql.Length > 0) await connection.ExecuteAsync(migration.Sql);
            await connection.ExecuteAsync("INSERT INTO schema_migrations (version, name, path, checksum) VALUES (@Version, @Name, @Path, @Checksum)",
                new { migration.Version, migration.Name, Path = SchemaMigrator.PathName(path), migration.Checksum });
        }
    }

    private static async Task RefreshAggregatesAsync(NpgsqlDataSource db, StoragePath path)
    {
        if (path == StoragePath.Plain)
        {
            await new RollupMaintainer(db, path).RefreshAllAsync(None);
            return;
        }
        await using var connection = await db.OpenConnectionAsync();
        await RunJobsAsync(connection, "policy_refresh_continuous_aggregate");
    }

    /// <summary>Runs every job of ours with the given procedure now, in this session, instead of waiting for the scheduler.</summary>
    private static async Task RunJobsAsync(NpgsqlConnection connection, string procedure)
    {
        var jobs = (await connection.QueryAsync<int>(
            "SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = @procedure AND hypertable_name IS NOT NULL ORDER BY job_id",
            new { procedure })).ToList();
        Assert.NotEmpty(jobs);
        foreach (var job in jobs)
        {
            await connection.ExecuteAsync($"CALL run_job({job})");
        }
    }

    private static async Task AssertNoJobFailedAsync(NpgsqlDataSource db, StoragePath path)
    {
        if (path != StoragePath.TimescaleDb) return;
        await using var connection = await db.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT coalesce(sum(total_failures), 0) FROM timescaledb_information.job_stats"));
    }
}
