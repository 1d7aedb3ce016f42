using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using ThermalPlant.Testing;

namespace ThermalPlant.Scraper.Tests;

/// <summary>The events' retention follows a reloaded configuration without a restart, on both schema paths.</summary>
[Collection(PostgresCollection.Name)]
public sealed class EventRetentionTests(PostgresFixture postgres) : IDisposable
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _data = new("thermalplant-scraper-retention-");

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task A_reloaded_retention_replaces_the_TimescaleDB_policy_at_the_next_interval_and_an_invalid_one_is_not_applied()
    {
        var database = await postgres.Server.CreateDatabaseAsync();
        var configuration = Reloadable("30.00:00:00");
        await using var scraper = await StartAsync(database, "TimescaleDb", configuration);
        // Migration 11 adds the policy at 90 days; the configured 30 replace it at start.
        await PolicyBecomesAsync(database, TimeSpan.FromDays(30));

        configuration[Key] = "45.00:00:00";
        configuration.Reload();
        await PolicyBecomesAsync(database, TimeSpan.FromDays(45));

        // Below the 1 h minimum: the options refuse it as they would at start, and the scraper keeps 45 days.
        configuration[Key] = "00:10:00";
        var refused = Assert.IsType<AggregateException>(Record.Exception(configuration.Reload));
        Assert.IsType<OptionsValidationException>(refused.InnerException);
        configuration[Key] = "60.00:00:00";
        configuration.Reload();
        await PolicyBecomesAsync(database, TimeSpan.FromDays(60));
    }

    [Fact]
    public async Task A_reloaded_retention_deletes_the_events_it_expires_on_plain_PostgreSQL()
    {
        var database = await postgres.Server.CreateDatabaseAsync();
        var configuration = Reloadable("60.00:00:00");
        await using var scraper = await StartAsync(database, "Plain", configuration);
        await Stored.EventuallyAsync(async () => await CountEventsAsync(database) == 0, Settle, () => Task.FromResult("the events table was not created"));
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.ExecuteAsync("""
                INSERT INTO events (time, receive_time, endpoint, event_id, event_type, severity)
                VALUES (now() - interval '70 days', now() - interval '70 days', 'opc.tcp://test', '\x00', 'i=2041', 500),
                       (now() - interval '40 days', now() - interval '40 days', 'opc.tcp://test', '\x01', 'i=2041', 500),
                       (now() - interval '20 days', now() - interval '20 days', 'opc.tcp://test', '\x02', 'i=2041', 500)
                """);
        }
        // The 70-day-old event going shows a pass at 60 days ran after the insert, and kept the other two.
        await Stored.EventuallyAsync(async () => await CountEventsAsync(database) < 3, Settle, () => Task.FromResult("the retention loop deleted nothing at 60 days"));
        Assert.Equal(2, await CountEventsAsync(database));

        configuration[Key] = "30.00:00:00";
        configuration.Reload();
        await Stored.EventuallyAsync(async () => await CountEventsAsync(database) == 1, Settle, async () => $"{await CountEventsAsync(database)} events left, expected the 20-day-old one");
    }

    private const string Key = "Scraper:Events:Retention";

    /// <summary>A configuration source the test changes and reloads, standing in for an edited appsettings.json.</summary>
    private static IConfigurationRoot Reloadable(string retention) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [Key] = retention }).Build();

    private Task<ScraperRun> StartAsync(string database, string path, IConfigurationRoot configuration) =>
        ScraperRun.StartAsync(database, _data.Path, new Dictionary<string, string> { ["Events:RetentionInterval"] = "00:00:01" }, path,
            services => services.AddOptions<ScraperOptions>().Bind(configuration.GetSection(ScraperOptions.Section)));

    private static async Task PolicyBecomesAsync(string database, TimeSpan expected)
    {
        await Stored.EventuallyAsync(async () => await PolicyAsync(database) == expected, Settle,
            async () => $"the events' retention policy is {await PolicyAsync(database)}, expected {expected}");
    }

    private static async Task<TimeSpan?> PolicyAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        return await connection.QuerySingleOrDefaultAsync<TimeSpan?>(
            "SELECT (config->>'drop_after')::interval FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention' AND hypertable_name = 'events'");
    }

    private static async Task<long> CountEventsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM events");
    }
}
