using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;
using Npgsql;
using ThermalPlant.Storage.Schema;
using ThermalPlant.StorageWriter;
using ThermalPlant.Testing;

namespace ThermalPlant.Scraper.Tests;

/// <summary>
/// The storage writers keep each shard's events to <c>Writer:Shards:N:EventsRetention</c> (the NATS transport's
/// counterpart of <c>Scraper:Events:Retention</c>): two writer processes on one shard of a real PostgreSQL, behind a
/// real three-node nats-server cluster, on both schema paths.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed partial class WriterEventRetentionTests(PostgresFixture postgres) : IDisposable
{
    private const string Site = "plant01";
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _directory = new("thermalplant-writer-retention-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Two_writers_delete_the_events_past_a_reloaded_EventsRetention_once_on_plain_PostgreSQL()
    {
        var database = await postgres.Server.CreateDatabaseAsync();
        await using (var dataSource = NpgsqlDataSource.Create(database))
        {
            await new SchemaMigrator(dataSource, new SchemaMigratorOptions { Path = StoragePathPreference.Plain }).MigrateAsync(CancellationToken.None);
        }
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.ExecuteAsync("""
                INSERT INTO events (time, receive_time, endpoint, event_id, event_type, severity)
                VALUES (now() - interval '70 days', now() - interval '70 days', 'opc.tcp://test', '\x00', 'i=2041', 500),
                       (now() - interval '40 days', now() - interval '40 days', 'opc.tcp://test', '\x01', 'i=2041', 500),
                       (now() - interval '20 days', now() - interval '20 days', 'opc.tcp://test', '\x02', 'i=2041', 500)
                """);
        }
        // The retention comes from the writers' appsettings.json, which the host reloads when it changes.
        await WriteRetentionAsync("60.00:00:00");
        await using var cluster = await NatsCluster.StartAsync();
        await using var first = await StartWriterAsync(cluster, database, "Plain");
        await using var second = await StartWriterAsync(cluster, database, "Plain");

        await Stored.EventuallyAsync(async () => await CountEventsAsync(database) < 3, Settle,
            () => Task.FromResult("no writer deleted the 70-day-old event:" + Environment.NewLine + first.Output + second.Output));
        var kept = await AgesInDaysAsync(database);
        Assert.Equal([40, 20], kept);
        // The two instances' deletes overlap without harm: the row is deleted, and logged, once.
        await Stored.EventuallyAsync(() => Task.FromResult(Deleted(first, second) == 1), Settle,
            () => Task.FromResult($"the writers logged {Deleted(first, second)} deleted events, expected 1:{Environment.NewLine}{first.Output}{second.Output}"));

        await WriteRetentionAsync("30.00:00:00");
        await Stored.EventuallyAsync(async () => await CountEventsAsync(database) == 1, Settle,
            async () => $"{await CountEventsAsync(database)} events left after the retention was reloaded at 30 days, expected the 20-day-old one");
        kept = await AgesInDaysAsync(database);
        Assert.Equal([20], kept);
        await Stored.EventuallyAsync(() => Task.FromResult(Deleted(first, second) == 2), Settle,
            () => Task.FromResult($"the writers logged {Deleted(first, second)} deleted events, expected 2"));

        // Below the 1 h minimum: refused as it would be at start, logged, and the writers go on at 30 days.
        await WriteRetentionAsync("00:10:00");
        await Stored.EventuallyAsync(() => Task.FromResult(first.Output.Contains("the reloaded configuration is not valid", StringComparison.Ordinal)), Settle,
            () => Task.FromResult("the writer did not log the invalid reloaded retention:" + Environment.NewLine + first.Output));
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.True(first.Running && second.Running, "a writer stopped on the invalid configuration");
        Assert.Contains("The events' retention stays at 30.0 days", first.Output, StringComparison.Ordinal);
        Assert.Equal(1, await CountEventsAsync(database));
        Assert.DoesNotContain("applying the events' retention failed", first.Output + second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_writers_set_the_TimescaleDB_events_retention_policy_to_EventsRetention_once()
    {
        var database = await postgres.Server.CreateDatabaseAsync();
        var settings = new Dictionary<string, string> { ["Writer:Shards:0:EventsRetention"] = "30.00:00:00" };
        await using var cluster = await NatsCluster.StartAsync();
        await using var first = await StartWriterAsync(cluster, database, "TimescaleDb", settings);
        await using var second = await StartWriterAsync(cluster, database, "TimescaleDb", settings);

        // Migration 11 adds the policy at 90 days; the writers replace it at start, serialized: one of them does.
        await Stored.EventuallyAsync(async () => await PolicyAsync(database) == TimeSpan.FromDays(30), Settle,
            async () => $"the events' retention policy is {await PolicyAsync(database)}, expected 30 days:{Environment.NewLine}{first.Output}{second.Output}");
        await using (var connection = new NpgsqlConnection(database))
        {
            Assert.Equal(1, await connection.ExecuteScalarAsync<long>(
                "SELECT count(*) FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention' AND hypertable_name = 'events'"));
        }
        // Both writers have run a pass by now (each checks the policy at start, before its first interval).
        await Task.Delay(TimeSpan.FromSeconds(3));
        var logs = first.Output + second.Output;
        Assert.Single(PolicySet().Matches(logs));
        Assert.Contains("now drops events older than 30.0 days (it was 90.0", logs, StringComparison.Ordinal);
        Assert.DoesNotContain("applying the events' retention failed", logs, StringComparison.Ordinal);
    }

    [Fact]
    public void The_events_retention_is_validated_at_start()
    {
        var options = new WriterOptions();
        options.Shards.Add(new ShardOptions
        {
            Name = "main",
            ConnectionString = "Host=127.0.0.1;Database=x",
            Sites = [Site],
            EventsRetention = TimeSpan.FromMinutes(10),
            EventsRetentionInterval = TimeSpan.FromDays(2),
        });
        var errors = new List<string>();
        options.Validate("Writer", errors);
        Assert.Contains("Writer:Shards:0:EventsRetention must be at least 1 hour", errors);
        Assert.Contains("Writer:Shards:0:EventsRetentionInterval must be between 0 and 1 day", errors);

        var defaults = new ShardOptions();
        Assert.Equal(TimeSpan.FromDays(90), defaults.EventsRetention);
        Assert.Equal(new ThermalPlant.Scraper.Events.EventStorageOptions().Retention, defaults.EventsRetention);
    }

    /// <summary>Replaces the writers' appsettings.json at once (moved into place), so no reload reads it half written.</summary>
    private async Task WriteRetentionAsync(string retention)
    {
        var next = Path.Combine(_directory.Path, "appsettings.next");
        await File.WriteAllTextAsync(next, $$"""{ "Writer": { "Shards": [ { "EventsRetention": "{{retention}}" } ] } }""");
        File.Move(next, Path.Combine(_directory.Path, "appsettings.json"), overwrite: true);
    }

    private Task<ServiceProcess> StartWriterAsync(NatsCluster cluster, string database, string path, IDictionary<string, string>? settings = null)
    {
        var all = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Writer:Shards:0:Path"] = path,
            ["Writer:Shards:0:EventsRetentionInterval"] = "00:00:01",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) all[key] = value;
        return ServiceProcess.StartWriterAsync(cluster.Url, database, Site, all, _directory.Path);
    }

    /// <summary>The events the writers logged as deleted, summed over both.</summary>
    private static long Deleted(ServiceProcess first, ServiceProcess second) =>
        EventsDeleted().Matches(first.Output + second.Output).Sum(m => long.Parse(m.Groups["count"].Value, CultureInfo.InvariantCulture));

    private static async Task<long> CountEventsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM events");
    }

    private static async Task<int[]> AgesInDaysAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        return [.. await connection.QueryAsync<int>("SELECT extract(day FROM now() - time)::int FROM events ORDER BY time")];
    }

    private static async Task<TimeSpan?> PolicyAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        return await connection.QuerySingleOrDefaultAsync<TimeSpan?>(
            "SELECT (config->>'drop_after')::interval FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention' AND hypertable_name = 'events'");
    }

    [GeneratedRegex(@"deleted (?<count>\d+) events older than the retention")]
    private static partial Regex EventsDeleted();

    [GeneratedRegex(@"retention policy now drops events older than")]
    private static partial Regex PolicySet();
}
