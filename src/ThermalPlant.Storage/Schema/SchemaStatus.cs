namespace ThermalPlant.Storage.Schema;

/// <summary>A migration recorded as applied in <c>schema_migrations</c>.</summary>
/// <param name="Version">The migration's number.</param>
/// <param name="Name">The migration's name.</param>
/// <param name="Path">The path the migrator ran when it applied this version.</param>
/// <param name="Checksum">SHA-256 of the script that ran.</param>
/// <param name="AppliedAt">When it was applied (UTC).</param>
public sealed record AppliedMigration(int Version, string Name, StoragePath Path, string Checksum, DateTime AppliedAt);

/// <summary>Whether TimescaleDB can be used on a server.</summary>
/// <param name="Available">The extension is installed on the server (<c>pg_available_extensions</c>).</param>
/// <param name="Installed">The extension exists in this database.</param>
/// <param name="Preloaded">The server loads it at start (<c>shared_preload_libraries</c>), which CREATE EXTENSION needs.</param>
public sealed record TimescaleDbAvailability(bool Available, bool Installed, bool Preloaded)
{
    /// <summary>The extension is there or can be created now.</summary>
    public bool Usable => Installed || (Available && Preloaded);
}

/// <summary>What <c>thermalplant db status</c> shows: the recorded path, what ran, and what would run next.</summary>
/// <param name="Path">The recorded path, or null when nothing was applied yet.</param>
/// <param name="Applied">Applied migrations, by version.</param>
/// <param name="Pending">Migrations a <see cref="SchemaMigrator.MigrateAsync"/> would apply (on the recorded path, or the one it would choose).</param>
/// <param name="TimescaleDb">What the server offers.</param>
public sealed record SchemaStatus(
    StoragePath? Path,
    IReadOnlyList<AppliedMigration> Applied,
    IReadOnlyList<Migration> Pending,
    TimescaleDbAvailability TimescaleDb);

/// <summary>The outcome of one <see cref="SchemaMigrator.MigrateAsync"/>.</summary>
/// <param name="Path">The path the database runs.</param>
/// <param name="PathReason">Why that path: recorded earlier, detected, or asked for.</param>
/// <param name="AppliedNow">Migrations this call applied (empty when the schema was current).</param>
public sealed record MigrationResult(StoragePath Path, string PathReason, IReadOnlyList<Migration> AppliedNow);
