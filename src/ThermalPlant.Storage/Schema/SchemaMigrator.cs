using Dapper;
using Npgsql;

namespace ThermalPlant.Storage.Schema;

/// <summary>Options of <see cref="SchemaMigrator"/>.</summary>
public sealed class SchemaMigratorOptions
{
    /// <summary>The path for a database that has none recorded yet; a recorded path is never changed, and asking for the other one explicitly is refused.</summary>
    public StoragePathPreference Path { get; init; } = StoragePathPreference.Auto;
}

/// <summary>
/// Applies the embedded migrations of <c>db/</c>, each in its own transaction, under a session advisory lock
/// so that several scrapers (or a scraper and the CLI) starting together apply each version exactly once.
/// Applied versions, their checksums and the path that ran are recorded in <c>schema_migrations</c>.
/// </summary>
public sealed class SchemaMigrator
{
    /// <summary>The advisory lock key every migrator takes ("TPMSDB01" as ASCII).</summary>
    public const long AdvisoryLockKey = 0x54504D5344423031;

    private const string CreateHistory = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version     integer PRIMARY KEY,
            name        text NOT NULL,
            path        text NOT NULL,
            checksum    text NOT NULL,
            applied_at  timestamptz NOT NULL DEFAULT now()
        )
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly SchemaMigratorOptions _options;

    /// <summary>A migrator for the database <paramref name="dataSource"/> connects to.</summary>
    public SchemaMigrator(NpgsqlDataSource dataSource, SchemaMigratorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
        _options = options ?? new SchemaMigratorOptions();
    }

    /// <summary>Brings the schema to the newest version; returns the path and what this call applied.</summary>
    /// <exception cref="InvalidOperationException">An applied script has changed, or TimescaleDB was asked for and cannot be created.</exception>
    public async Task<MigrationResult> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@key)", new { key = AdvisoryLockKey }, cancellationToken: cancellationToken));
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(CreateHistory, cancellationToken: cancellationToken));
            var applied = await ReadAppliedAsync(connection, cancellationToken);
            var (path, reason) = applied.Count > 0
                ? (RecordedOrRefuse(applied[^1].Path), "recorded")
                : Choose(await ReadAvailabilityAsync(connection, cancellationToken));
            var migrations = MigrationCatalog.For(path);
            Verify(applied, migrations);

            var done = applied.Select(a => a.Version).ToHashSet();
            var appliedNow = new List<Migration>();
            foreach (var migration in migrations.Where(m => !done.Contains(m.Version)))
            {
                await ApplyAsync(connection, migration, path, cancellationToken);
                appliedNow.Add(migration);
            }
            return new MigrationResult(path, reason, appliedNow);
        }
        finally
        {
            // Released even when the caller gave up: closing would release it too, but a pooled connection stays open.
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock(@key)", new { key = AdvisoryLockKey }, cancellationToken: CancellationToken.None));
        }
    }

    /// <summary>The recorded path, applied and pending migrations, and what the server offers; changes nothing.</summary>
    public async Task<SchemaStatus> GetStatusAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var availability = await ReadAvailabilityAsync(connection, cancellationToken);
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT to_regclass('schema_migrations') IS NOT NULL", cancellationToken: cancellationToken));
        var applied = exists ? await ReadAppliedAsync(connection, cancellationToken) : [];
        StoragePath? recorded = applied.Count > 0 ? applied[^1].Path : null;
        var path = recorded ?? TryChoose(availability)?.Path ?? StoragePath.Plain;
        var done = applied.Select(a => a.Version).ToHashSet();
        var pending = MigrationCatalog.For(path).Where(m => !done.Contains(m.Version)).ToList();
        return new SchemaStatus(recorded, applied, pending, availability);
    }

    /// <summary>The path recorded in the database; fails when the schema was never migrated.</summary>
    public async Task<StoragePath> GetPathAsync(CancellationToken cancellationToken)
    {
        var status = await GetStatusAsync(cancellationToken);
        return status.Path ?? throw new InvalidOperationException("The database has no schema yet; run the migrations first.");
    }

    private static async Task ApplyAsync(NpgsqlConnection connection, Migration migration, StoragePath path, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (migration.Sql.Length > 0)
        {
            await using var command = new NpgsqlCommand(migration.Sql, connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO schema_migrations (version, name, path, checksum) VALUES (@Version, @Name, @Path, @Checksum)",
            new { migration.Version, migration.Name, Path = PathName(path), migration.Checksum },
            transaction,
            cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    private static void Verify(IReadOnlyList<AppliedMigration> applied, IReadOnlyList<Migration> migrations)
    {
        var known = migrations.ToDictionary(m => m.Version);
        foreach (var done in applied)
        {
            if (known.TryGetValue(done.Version, out var migration) && migration.Checksum != done.Checksum)
            {
                throw new InvalidOperationException(
                    $"Migration {done.Version} ({done.Name}) was changed after it was applied; add a new migration instead of editing an applied one.");
            }
        }
    }

    /// <summary>
    /// A database keeps the path it was first migrated on: an explicit request for the other one is refused with how
    /// to move, rather than silently kept (the narrow table cannot become a hypertable in place, being partitioned).
    /// </summary>
    private StoragePath RecordedOrRefuse(StoragePath recorded)
    {
        var wanted = _options.Path switch
        {
            StoragePathPreference.Plain => StoragePath.Plain,
            StoragePathPreference.TimescaleDb => StoragePath.TimescaleDb,
            _ => recorded,
        };
        if (wanted == recorded) return recorded;
        throw new InvalidOperationException(
            $"The database was migrated on the {PathName(recorded)} path and stays on it; {PathName(wanted)} was asked for. " +
            "To move, migrate a new database on that path and copy tags and sensor_values into it, as docs/operations.md " +
            "(\"Moving a database to TimescaleDB\") shows; or ask for Auto or the recorded path.");
    }

    private (StoragePath Path, string Reason) Choose(TimescaleDbAvailability availability) =>
        TryChoose(availability) ?? throw new InvalidOperationException(
            "TimescaleDB was asked for but cannot be created here: " +
            (availability.Available ? "add timescaledb to shared_preload_libraries and restart the server." : "the extension is not installed on the server."));

    private (StoragePath Path, string Reason)? TryChoose(TimescaleDbAvailability availability) => _options.Path switch
    {
        StoragePathPreference.Plain => (StoragePath.Plain, "plain PostgreSQL asked for"),
        StoragePathPreference.TimescaleDb => availability.Usable ? (StoragePath.TimescaleDb, "TimescaleDB asked for") : null,
        _ when availability.Usable => (StoragePath.TimescaleDb, "TimescaleDB detected"),
        _ when availability.Available => (StoragePath.Plain, "TimescaleDB installed but not in shared_preload_libraries; plain PostgreSQL"),
        _ => (StoragePath.Plain, "TimescaleDB not installed; plain PostgreSQL"),
    };

    private static async Task<TimescaleDbAvailability> ReadAvailabilityAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleAsync<AvailabilityRow>(new CommandDefinition("""
            SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') AS available,
                   EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') AS installed,
                   current_setting('shared_preload_libraries') AS preload
            """, cancellationToken: cancellationToken));
        var preloaded = row.Preload.Split(',', StringSplitOptions.TrimEntries).Any(l => l.Trim('"') == "timescaledb");
        return new TimescaleDbAvailability(row.Available, row.Installed, preloaded);
    }

    private static async Task<IReadOnlyList<AppliedMigration>> ReadAppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<AppliedRow>(new CommandDefinition(
            "SELECT version, name, path, checksum, applied_at AS appliedat FROM schema_migrations ORDER BY version",
            cancellationToken: cancellationToken));
        return rows.Select(r => new AppliedMigration(r.Version, r.Name, ParsePath(r.Path), r.Checksum, r.AppliedAt)).ToList();
    }

    /// <summary>The name a path is recorded and shown under: <c>timescaledb</c> or <c>plain</c>.</summary>
    public static string PathName(StoragePath path) => path == StoragePath.TimescaleDb ? "timescaledb" : "plain";

    private static StoragePath ParsePath(string name) => name switch
    {
        "timescaledb" => StoragePath.TimescaleDb,
        "plain" => StoragePath.Plain,
        _ => throw new InvalidOperationException($"schema_migrations records an unknown path '{name}'."),
    };

    private sealed record AvailabilityRow(bool Available, bool Installed, string Preload);

    private sealed record AppliedRow(int Version, string Name, string Path, string Checksum, DateTime AppliedAt);
}
