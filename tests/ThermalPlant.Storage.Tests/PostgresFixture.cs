using Npgsql;
using ThermalPlant.Storage.Schema;
using ThermalPlant.Testing;

namespace ThermalPlant.Storage.Tests;

/// <summary>One PostgreSQL cluster for every storage test; each test gets its own database.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    /// <summary>Null when PostgreSQL is not installed outside CI; the tests then return early.</summary>
    public PostgresServer? Server { get; private set; }

    public async Task InitializeAsync() => Server = await PostgresServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
    }

    /// <summary>A fresh empty database, or null when there is no server.</summary>
    public async Task<NpgsqlDataSource?> CreateDatabaseAsync()
    {
        if (Server is null) return null;
        return NpgsqlDataSource.Create(await Server.CreateDatabaseAsync());
    }

    /// <summary>A fresh database migrated on the plain path, or null when there is no server.</summary>
    public async Task<NpgsqlDataSource?> CreateMigratedDatabaseAsync()
    {
        var dataSource = await CreateDatabaseAsync();
        if (dataSource is null) return null;
        var result = await new SchemaMigrator(dataSource, new SchemaMigratorOptions { Path = StoragePathPreference.Plain }).MigrateAsync(CancellationToken.None);
        Assert.Equal(StoragePath.Plain, result.Path);
        return dataSource;
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
