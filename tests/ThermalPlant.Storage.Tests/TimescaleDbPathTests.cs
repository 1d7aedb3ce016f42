using Dapper;
using ThermalPlant.Storage.Schema;
using ThermalPlant.Storage.Writing;
using Xunit.Abstractions;

namespace ThermalPlant.Storage.Tests;

/// <summary>
/// The TimescaleDB path's SQL, run whenever the server has the extension. TimescaleDB is not in Debian, so where it
/// is absent the test says so in its output and passes; set THERMALPLANT_REQUIRE_TIMESCALEDB=true where CI installs
/// it, and a missing extension fails instead.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class TimescaleDbPathTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task TimescaleDB_path_makes_a_hypertable_continuous_aggregates_and_policies()
    {
        await using var db = await postgres.CreateDatabaseAsync();
        if (db is null) return;
        var status = await new SchemaMigrator(db).GetStatusAsync(None);
        if (!status.TimescaleDb.Usable)
        {
            var reason = $"TimescaleDB path NOT RUN: extension available={status.TimescaleDb.Available}, preloaded={status.TimescaleDb.Preloaded} on this PostgreSQL.";
            if (string.Equals(Environment.GetEnvironmentVariable("THERMALPLANT_REQUIRE_TIMESCALEDB"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail(reason + " THERMALPLANT_REQUIRE_TIMESCALEDB=true makes this a failure.");
            }
            output.WriteLine(reason);
            return;
        }

        var result = await new SchemaMigrator(db).MigrateAsync(None);
        Assert.Equal(StoragePath.TimescaleDb, result.Path);
        Assert.Equal(StoragePath.TimescaleDb, (await new SchemaMigrator(db).GetStatusAsync(None)).Path);

        await using var connection = await db.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_name = 'sensor_values' AND compression_enabled"));
        Assert.Equal(["rolling_avg_sensor_data1m", "rolling_avg_sensor_data_5s", "rolling_count_sensor_data_5s"],
            await connection.QueryAsync<string>("SELECT view_name::text FROM timescaledb_information.continuous_aggregates ORDER BY 1"));
        Assert.Equal(["policy_compression", "policy_refresh_continuous_aggregate", "policy_retention"],
            await connection.QueryAsync<string>("SELECT DISTINCT proc_name::text FROM timescaledb_information.jobs WHERE proc_schema = '_timescaledb_functions' OR proc_schema = '_timescaledb_internal' ORDER BY 1"));

        var writer = new SampleWriter(db, StoragePath.TimescaleDb);
        var batch = Samples.Series(DateTime.UtcNow.AddMinutes(-1), 600, TimeSpan.FromSeconds(1), Samples.Upper, Samples.Rpm);
        Assert.Equal(1200, (await writer.WriteAsync(batch, None)).Inserted);
        Assert.Equal(0, (await writer.WriteAsync(batch, None)).Inserted);

        foreach (var query in SeedQueries.All)
        {
            Assert.NotEmpty(await connection.QueryAsync(query));
        }

        await connection.ExecuteAsync("CALL refresh_continuous_aggregate('rolling_count_sensor_data_5s', NULL, NULL)");
        Assert.Equal(1200, await connection.ExecuteScalarAsync<long>("SELECT sum(sample_count) FROM rolling_count_sensor_data_5s"));
    }
}
