using System.Globalization;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using ThermalPlant.Scraper.Supervision;
using ThermalPlant.Storage.Schema;
using ThermalPlant.Storage.Writing;
using ThermalPlant.Testing;

namespace ThermalPlant.Scraper.Tests;

/// <summary>
/// The database as the scraper is given it: a postgres:// URL as well as a connection string, errors that keep the
/// password to themselves, and a schema on the TimescaleDB path, where the scraper's own maintainers have nothing to do.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class DatabaseAddressTests(PostgresFixture postgres) : IDisposable
{
    private readonly TempDirectory _data = new("thermalplant-scraper-");

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task A_postgres_url_with_an_encoded_password_and_sslmode_stores_samples()
    {
        Assert.NotNull(postgres.Server);
        var database = await postgres.Server.CreateDatabaseAsync();
        var keywords = new NpgsqlConnectionStringBuilder(database);
        // The test cluster trusts loopback, so any password passes; it is there to be decoded.
        var url = string.Create(CultureInfo.InvariantCulture,
            $"postgres://{Uri.EscapeDataString(keywords.Username!)}:p%40ss%2Fw%3Ard@{keywords.Host}:{keywords.Port}/{keywords.Database}?sslmode=disable&application_name=scraper-test");
        await using var scraper = await ScraperRun.StartAsync(url, _data.Path, new Dictionary<string, string>(StringComparer.Ordinal));
        var tag = new TagKey("test://", "url", "url", "stored");
        var start = DateTime.UtcNow.AddMinutes(-1);

        scraper.Queue.Add([.. Enumerable.Range(0, 10).Select(i => new Sample(tag, start.AddSeconds(i), i, 0))]);

        await Stored.EventuallyAsync(async () => await Stored.CountAsync(database, "SELECT count(*) FROM sensor_data WHERE tagname = 'stored'") == 10,
            TimeSpan.FromSeconds(30), () => Task.FromResult("the samples given to a scraper configured with a URL were not stored"));
    }

    [Theory]
    [InlineData("postgres://thermalplant:S3cr3t-pw@127.0.0.1:notaport/thermalplant")]
    [InlineData("postgres://thermalplant:S3cr3t-pw@127.0.0.1/thermalplant?sslmode=sometimes")]
    [InlineData("Host=127.0.0.1;Username=thermalplant;Password=S3cr3t-pw;Hots=x")]
    public async Task An_invalid_database_address_stops_the_start_naming_the_key_but_not_the_password(string address)
    {
        var app = ScraperHost.Create(["--urls=http://127.0.0.1:0", $"--Scraper:Database:ConnectionString={address}"]);
        var failure = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => app.StartAsync());
        await app.DisposeAsync();

        var messages = string.Join(Environment.NewLine, failure.Failures);
        Assert.Contains("Scraper:Database:ConnectionString is not a valid connection string or postgres:// URL", messages, StringComparison.Ordinal);
        Assert.DoesNotContain("S3cr3t-pw", failure.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_the_timescaledb_path_the_scraper_starts_no_maintainer_and_stays_healthy()
    {
        Assert.NotNull(postgres.Server);
        var connectionString = await postgres.Server.CreateDatabaseAsync();
        // A schema recorded as migrated on the TimescaleDB path (TimescaleDB is not in Debian): the migrator trusts
        // the record and runs nothing, so the scraper proceeds exactly as on a real TimescaleDB.
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.ExecuteAsync("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, path text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
            foreach (var migration in MigrationCatalog.For(StoragePath.TimescaleDb))
            {
                await connection.ExecuteAsync("INSERT INTO schema_migrations (version, name, path, checksum) VALUES (@Version, @Name, 'timescaledb', @Checksum)",
                    new { migration.Version, migration.Name, migration.Checksum });
            }
        }

        // Auto takes the recorded path (a migrator asked for the other one explicitly would refuse to start).
        await using var scraper = await ScraperRun.StartAsync(connectionString, _data.Path, new Dictionary<string, string>(StringComparer.Ordinal) { ["Database:Path"] = "Auto" });
        var health = scraper.Services.GetRequiredService<SourceHealth>();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await health.CheckHealthAsync(new HealthCheckContext())).Status == HealthStatus.Unhealthy)
        {
            Assert.True(DateTime.UtcNow < until, "the scraper never saw its schema as migrated");
            await Task.Delay(100);
        }
        // Many times the supervisor's first backoff (200 ms here): a maintainer that returned would have been counted by now.
        await Task.Delay(TimeSpan.FromSeconds(3));

        // The configuration's default OPC UA endpoint is not running here; only the database's entries matter.
        var result = await health.CheckHealthAsync(new HealthCheckContext());
        var database = result.Data.Where(d => d.Key.StartsWith(SourceHealth.Database, StringComparison.Ordinal)).Select(d => $"{d.Key}: {d.Value}").ToList();
        Assert.True(database.Count == 0, string.Join("; ", database));
    }
}
