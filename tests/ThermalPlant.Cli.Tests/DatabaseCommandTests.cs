using System.CommandLine;
using System.Text.Json;
using ThermalPlant.Cli.Database;
using ThermalPlant.Storage.Schema;
using ThermalPlant.Testing;

namespace ThermalPlant.Cli.Tests;

/// <summary>A real PostgreSQL for the <c>thermalplant db</c> tests; each test makes its own database.</summary>
public sealed class CliPostgresFixture : PostgresClusterFixture;

/// <summary><c>thermalplant db migrate|status</c> against a real PostgreSQL (the plain path: TimescaleDB is not in Debian).</summary>
public sealed class DatabaseCommandTests(CliPostgresFixture postgres) : IClassFixture<CliPostgresFixture>
{
    [Fact]
    public async Task Status_of_a_new_database_shows_no_path_and_every_version_pending()
    {
        var database = await postgres.Server.CreateDatabaseAsync();

        var (exit, output, _) = await Run(NoEnvironment, "db", "status", "--connection", database, "--json");

        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("path").ValueKind);
        Assert.Equal(0, doc.RootElement.GetProperty("applied").GetArrayLength());
        Assert.Equal(MigrationCatalog.For(StoragePath.Plain).Select(m => m.Version),
            doc.RootElement.GetProperty("pending").EnumerateArray().Select(e => e.GetProperty("version").GetInt32()));
    }

    [Fact]
    public async Task Migrate_applies_everything_once_and_status_then_shows_the_plain_path_with_nothing_pending()
    {
        var database = await postgres.Server.CreateDatabaseAsync();
        var versions = MigrationCatalog.For(StoragePath.Plain).Select(m => m.Version).ToList();

        var (exit, output, _) = await Run(NoEnvironment, "db", "migrate", "--connection", database, "--path", "Plain", "--json");
        Assert.Equal(0, exit);
        using (var doc = JsonDocument.Parse(output))
        {
            Assert.Equal("plain", doc.RootElement.GetProperty("path").GetString());
            Assert.Equal(versions, doc.RootElement.GetProperty("applied").EnumerateArray().Select(e => e.GetProperty("version").GetInt32()));
        }

        var again = await Run(NoEnvironment, "db", "migrate", "--connection", database);
        Assert.Equal(0, again.Exit);
        Assert.Contains("path: plain (recorded)", again.Output, StringComparison.Ordinal);
        Assert.Contains("nothing applied", again.Output, StringComparison.Ordinal);

        var status = await Run(NoEnvironment, "db", "status", "--connection", database);
        Assert.Equal(0, status.Exit);
        var lines = status.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("path: plain", lines[0]);
        Assert.StartsWith("timescaledb: ", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("version", lines[2], StringComparison.Ordinal);
        Assert.Equal(versions.Count, lines.Count(l => l.Contains("  applied  ", StringComparison.Ordinal)));
        Assert.DoesNotContain("pending", status.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_connection_comes_from_THERMALPLANT_DB_URL_as_a_postgres_url()
    {
        var database = new Npgsql.NpgsqlConnectionStringBuilder(await postgres.Server.CreateDatabaseAsync()).Database;
        var url = $"postgres://postgres@127.0.0.1:{postgres.Server.Port}/{database}";
        string? Environment(string name) => name == "THERMALPLANT_DB_URL" ? url : null;

        Assert.Equal(0, (await Run(Environment, "db", "migrate", "--path", "Plain")).Exit);
        var (exit, output, _) = await Run(Environment, "db", "status", "--json");

        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal("plain", doc.RootElement.GetProperty("path").GetString());
        Assert.Equal(0, doc.RootElement.GetProperty("pending").GetArrayLength());
    }

    [Fact]
    public async Task Without_a_connection_or_with_an_unreachable_server_it_fails_with_a_message()
    {
        var missing = await Run(NoEnvironment, "db", "status");
        Assert.Equal(2, missing.Exit);
        Assert.Contains("THERMALPLANT_DB_URL", missing.Error, StringComparison.Ordinal);

        var unreachable = await Run(NoEnvironment, "db", "status", "--connection", "Host=127.0.0.1;Port=1;Username=postgres;Timeout=2");
        Assert.Equal(1, unreachable.Exit);
        Assert.StartsWith("error: ", unreachable.Error, StringComparison.Ordinal);
    }

    private static string? NoEnvironment(string name) => null;

    private static async Task<(int Exit, string Output, string Error)> Run(Func<string, string?> environment, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var root = new RootCommand { DatabaseCommands.Create(output, error, environment) };
        var exit = await root.Parse(args).InvokeAsync();
        return (exit, output.ToString(), error.ToString());
    }
}
