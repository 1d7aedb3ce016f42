using Dapper;
using Npgsql;
using ThermalPlant.Storage.Schema;

namespace ThermalPlant.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class MigrationTests(PostgresFixture postgres)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public void The_catalog_holds_every_db_script_for_both_paths()
    {
        var plain = MigrationCatalog.For(StoragePath.Plain);
        var timescale = MigrationCatalog.For(StoragePath.TimescaleDb);
        Assert.Equal(Enumerable.Range(1, plain.Count), plain.Select(m => m.Version));
        Assert.Equal(plain.Select(m => m.Version), timescale.Select(m => m.Version));
        Assert.Contains("time_bucket", plain.Single(m => m.Name == "time_bucket").Sql, StringComparison.Ordinal);
        Assert.Empty(timescale.Single(m => m.Name == "time_bucket").Sql);
        Assert.Contains("create_hypertable", timescale.Single(m => m.Name == "sensor_values").Sql, StringComparison.Ordinal);
        Assert.Contains("PARTITION BY RANGE", plain.Single(m => m.Name == "sensor_values").Sql, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_applies_every_version_once_and_records_the_plain_path()
    {
        await using var db = await postgres.CreateDatabaseAsync();
        var migrator = new SchemaMigrator(db, new SchemaMigratorOptions { Path = StoragePathPreference.Plain });

        var before = await migrator.GetStatusAsync(None);
        Assert.Null(before.Path);
        Assert.Empty(before.Applied);
        Assert.Equal(MigrationCatalog.For(StoragePath.Plain).Count, before.Pending.Count);

        var first = await migrator.MigrateAsync(None);
        Assert.Equal(StoragePath.Plain, first.Path);
        Assert.Equal(MigrationCatalog.For(StoragePath.Plain).Select(m => m.Version), first.AppliedNow.Select(m => m.Version));

        var second = await migrator.MigrateAsync(None);
        Assert.Equal(StoragePath.Plain, second.Path);
        Assert.Equal("recorded", second.PathReason);
        Assert.Empty(second.AppliedNow);

        var status = await migrator.GetStatusAsync(None);
        Assert.Equal(StoragePath.Plain, status.Path);
        Assert.Empty(status.Pending);
        Assert.All(status.Applied, a => Assert.Equal(StoragePath.Plain, a.Path));
        Assert.Equal(StoragePath.Plain, await migrator.GetPathAsync(None));

        await using var connection = await db.OpenConnectionAsync();
        Assert.Equal("plain", await connection.ExecuteScalarAsync<string>("SELECT DISTINCT path FROM schema_migrations"));
        Assert.Equal('p', await connection.ExecuteScalarAsync<char>("SELECT relkind FROM pg_class WHERE relname = 'sensor_values'"));
        Assert.Equal('v', await connection.ExecuteScalarAsync<char>("SELECT relkind FROM pg_class WHERE relname = 'sensor_data'"));
        foreach (var rollup in new[] { "rolling_avg_sensor_data_5s", "rolling_count_sensor_data_5s", "rolling_avg_sensor_data1m" })
        {
            Assert.Equal('r', await connection.ExecuteScalarAsync<char>("SELECT relkind FROM pg_class WHERE relname = @rollup", new { rollup }));
        }
    }

    [Fact]
    public async Task Migrators_running_at_once_apply_each_version_exactly_once()
    {
        await using var db = await postgres.CreateDatabaseAsync();
        // Separate data sources: separate sessions, as separate processes would have.
        var sources = Enumerable.Range(0, 4).Select(_ => NpgsqlDataSource.Create(db.ConnectionString)).ToList();
        try
        {
            var results = await Task.WhenAll(sources.Select(s => new SchemaMigrator(s, new SchemaMigratorOptions { Path = StoragePathPreference.Plain }).MigrateAsync(None)));
            var total = MigrationCatalog.For(StoragePath.Plain).Count;
            Assert.Equal(total, results.Sum(r => r.AppliedNow.Count));
            Assert.Single(results, r => r.AppliedNow.Count == total);
            Assert.All(results, r => Assert.Equal(StoragePath.Plain, r.Path));

            await using var connection = await db.OpenConnectionAsync();
            Assert.Equal(total, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM schema_migrations"));
        }
        finally
        {
            foreach (var source in sources) await source.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_script_changed_after_it_was_applied_is_refused()
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync();
        await using (var connection = await db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1");
        }
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => new SchemaMigrator(db).MigrateAsync(None));
        Assert.Contains("Migration 1", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Asking_for_TimescaleDB_where_it_cannot_be_created_fails_with_the_reason()
    {
        await using var db = await postgres.CreateDatabaseAsync();
        var status = await new SchemaMigrator(db).GetStatusAsync(None);
        if (status.TimescaleDb.Usable) return;
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(
            () => new SchemaMigrator(db, new SchemaMigratorOptions { Path = StoragePathPreference.TimescaleDb }).MigrateAsync(None));
        Assert.Contains("TimescaleDB", refused.Message, StringComparison.Ordinal);
        Assert.Null((await new SchemaMigrator(db).GetStatusAsync(None)).Path);
    }
}
