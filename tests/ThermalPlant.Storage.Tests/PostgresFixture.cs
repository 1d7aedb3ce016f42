using Npgsql;
using ThermalPlant.Storage.Schema;
using ThermalPlant.Testing;

namespace ThermalPlant.Storage.Tests;

/// <summary>One PostgreSQL cluster for every storage test (TimescaleDB preloaded where installed); each test gets its own database.</summary>
public sealed class PostgresFixture : PostgresClusterFixture
{
    /// <summary>Both schema paths, for theories that must hold on each.</summary>
    public static TheoryData<StoragePath> Paths => new(StoragePath.Plain, StoragePath.TimescaleDb);

    /// <summary>A fresh empty database.</summary>
    public async Task<NpgsqlDataSource> CreateDatabaseAsync() => NpgsqlDataSource.Create(await Server.CreateDatabaseAsync());

    /// <summary>A fresh database migrated on the plain path.</summary>
    public Task<NpgsqlDataSource> CreateMigratedDatabaseAsync() => CreateMigratedDatabaseAsync(StoragePath.Plain);

    /// <summary>
    /// A fresh database migrated on <paramref name="path"/>. The TimescaleDB path
    /// fails the test, naming what to install, where the server cannot load the extension: it never passes silently.
    /// </summary>
    public async Task<NpgsqlDataSource> CreateMigratedDatabaseAsync(StoragePath path)
    {
        var dataSource = await CreateDatabaseAsync();
        if (path == StoragePath.TimescaleDb)
        {
            var status = await new SchemaMigrator(dataSource).GetStatusAsync(CancellationToken.None);
            Assert.True(status.TimescaleDb.Usable,
                $"TimescaleDB is not usable here (available={status.TimescaleDb.Available}, preloaded={status.TimescaleDb.Preloaded}): " +
                "scripts/test builds it from ../shared/vendor/timescaledb-*.tar.gz, or install TimescaleDB for PostgreSQL 15.");
        }
        var preference = path == StoragePath.TimescaleDb ? StoragePathPreference.TimescaleDb : StoragePathPreference.Plain;
        var result = await new SchemaMigrator(dataSource, new SchemaMigratorOptions { Path = preference }).MigrateAsync(CancellationToken.None);
        Assert.Equal(path, result.Path);
        return dataSource;
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
