using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using ThermalPlant.Storage;
using ThermalPlant.Storage.Schema;

namespace ThermalPlant.Cli.Database;

/// <summary>
/// <c>thermalplant db migrate|status</c>: apply the schema before the first scraper starts (or after an upgrade, at a
/// chosen time) and see which path a database runs and what is applied or pending, without psql.
/// </summary>
internal static class DatabaseCommands
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <param name="output">Where results go.</param>
    /// <param name="error">Where errors go.</param>
    /// <param name="environment">Reads an environment variable; tests pass their own instead of changing the process's.</param>
    public static Command Create(TextWriter output, TextWriter error, Func<string, string?> environment)
    {
        var connection = new Option<string?>("--connection")
        {
            Description = $"Connection string or postgres:// URL (default: ${DatabaseUrl.EnvironmentVariable})",
        };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text" };
        var command = new Command("db", "Migrate the database and show its schema state");

        var path = new Option<StoragePathPreference>("--path")
        {
            Description = "Path for a database that has none yet; a recorded path is never changed (asking for the other one is refused, saying how to move)",
            DefaultValueFactory = _ => StoragePathPreference.Auto,
        };
        var migrate = new Command("migrate", "Apply the pending migrations (under the same advisory lock the scraper takes)") { connection, path, json };
        migrate.SetAction((result, cancel) => RunAsync(result.GetValue(connection), environment, error, async dataSource =>
        {
            var migrator = new SchemaMigrator(dataSource, new SchemaMigratorOptions { Path = result.GetValue(path) });
            var migration = await migrator.MigrateAsync(cancel);
            await PrintMigrationAsync(output, migration, result.GetValue(json));
        }));

        var status = new Command("status", "Show the path (timescaledb or plain), applied and pending migrations") { connection, json };
        status.SetAction((result, cancel) => RunAsync(result.GetValue(connection), environment, error, async dataSource =>
        {
            var state = await new SchemaMigrator(dataSource).GetStatusAsync(cancel);
            await PrintStatusAsync(output, state, result.GetValue(json));
        }));

        command.Subcommands.Add(migrate);
        command.Subcommands.Add(status);
        return command;
    }

    private static async Task<int> RunAsync(string? connection, Func<string, string?> environment, TextWriter error, Func<NpgsqlDataSource, Task> work)
    {
        var given = string.IsNullOrWhiteSpace(connection) ? environment(DatabaseUrl.EnvironmentVariable) : connection;
        if (string.IsNullOrWhiteSpace(given))
        {
            await error.WriteLineAsync($"error: no database given: pass --connection or set {DatabaseUrl.EnvironmentVariable}");
            return 2;
        }
        try
        {
            await using var dataSource = NpgsqlDataSource.Create(DatabaseUrl.ToConnectionString(given));
            await work(dataSource);
            return 0;
        }
        catch (FormatException e)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
    }

    private static async Task PrintMigrationAsync(TextWriter output, MigrationResult migration, bool json)
    {
        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new
            {
                path = SchemaMigrator.PathName(migration.Path),
                reason = migration.PathReason,
                applied = migration.AppliedNow.Select(m => new { version = m.Version, name = m.Name }),
            }, Json));
            return;
        }
        await output.WriteLineAsync($"path: {SchemaMigrator.PathName(migration.Path)} ({migration.PathReason})");
        if (migration.AppliedNow.Count == 0)
        {
            await output.WriteLineAsync("the schema is current; nothing applied");
            return;
        }
        foreach (var m in migration.AppliedNow)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"applied {m.Version:D4} {m.Name}"));
        }
    }

    private static async Task PrintStatusAsync(TextWriter output, SchemaStatus status, bool json)
    {
        var path = status.Path is { } recorded ? SchemaMigrator.PathName(recorded) : null;
        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new
            {
                path,
                timescaledb = new { available = status.TimescaleDb.Available, installed = status.TimescaleDb.Installed, preloaded = status.TimescaleDb.Preloaded },
                applied = status.Applied.Select(a => new { version = a.Version, name = a.Name, path = SchemaMigrator.PathName(a.Path), appliedAt = a.AppliedAt }),
                pending = status.Pending.Select(m => new { version = m.Version, name = m.Name }),
            }, Json));
            return;
        }
        await output.WriteLineAsync($"path: {path ?? "none (never migrated)"}");
        await output.WriteLineAsync($"timescaledb: {Describe(status.TimescaleDb)}");
        var rows = status.Applied
            .Select(a => new[] { a.Version.ToString("D4", CultureInfo.InvariantCulture), a.Name, "applied", a.AppliedAt.ToString("u", CultureInfo.InvariantCulture) })
            .Concat(status.Pending.Select(m => new[] { m.Version.ToString("D4", CultureInfo.InvariantCulture), m.Name, "pending", "" }))
            .ToList();
        string[] headers = ["version", "name", "state", "applied at"];
        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        await output.WriteLineAsync(string.Join("  ", headers.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in rows)
        {
            await output.WriteLineAsync(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        }
    }

    private static string Describe(TimescaleDbAvailability availability) => availability switch
    {
        { Installed: true } => "installed in this database",
        { Available: true, Preloaded: true } => "available and preloaded (not created in this database)",
        { Available: true } => "installed on the server but not in shared_preload_libraries",
        _ => "not installed on the server",
    };
}
