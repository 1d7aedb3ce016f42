using System.Globalization;
using Npgsql;
using ThermalPlant.Scraper.Transport;
using ThermalPlant.Testing;

namespace ThermalPlant.Scraper.Tests;

/// <summary>
/// Scraper (Transport Nats) -> a real three-node nats-server cluster (JetStream, replicas 3) -> storage writer
/// processes -> PostgreSQL, with one part failing in each test; afterwards every value the plant produced is stored
/// exactly once (counted per variable and timestamp against what the server produced).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class NatsTransportTests(PostgresFixture postgres) : IDisposable
{
    private const string Site = "plant01";
    private const string Stream = "THERMALPLANT_SAMPLES";
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(90);
    private readonly TempDirectory _data = new("thermalplant-scraper-nats-");

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task Every_value_is_stored_once_when_a_nats_node_is_killed_and_restarted()
    {
        await using var rig = await StartAsync();

        // A node that does not lead the stream: its clients move to another node, the stream keeps two of three copies.
        var leader = await rig.Cluster.StreamLeaderAsync(Stream);
        var victim = (leader + 1) % rig.Cluster.Count;
        await rig.Cluster.KillAsync(victim);
        await Task.Delay(3000);
        var during = await Stored.CountAsync(rig.Database, "SELECT count(*) FROM sensor_values");
        await StoredMoreThanAsync(rig.Database, during + 100);
        await rig.Cluster.RestartAsync(victim);
        await Task.Delay(2000);

        await rig.EveryValueStoredOnceAsync();
    }

    [Fact]
    public async Task Every_value_is_stored_once_when_the_stream_leader_is_killed()
    {
        await using var rig = await StartAsync();

        // The leader takes every publish and delivery of the stream: the other two elect a new one and go on.
        var leader = await rig.Cluster.StreamLeaderAsync(Stream);
        var killed = DateTime.UtcNow;
        await rig.Cluster.KillAsync(leader);
        try
        {
            await Task.Delay(2000);
            var during = await Stored.CountAsync(rig.Database, "SELECT count(*) FROM sensor_values");
            await StoredMoreThanAsync(rig.Database, during + 100);
            var newLeader = await rig.Cluster.StreamLeaderAsync(Stream);
            Assert.NotEqual(leader, newLeader);
            await rig.Cluster.RestartAsync(leader);
            await Task.Delay(2000);

            await rig.EveryValueStoredOnceAsync();
        }
        catch (Xunit.Sdk.XunitException ex)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}{Environment.NewLine}--- n{leader + 1} (the stream leader) killed at {killed:HH:mm:ss.fff} ---{Environment.NewLine}{await rig.DescribeAsync()}");
        }
    }

    [Fact]
    public async Task Every_value_is_stored_once_when_a_writer_is_killed_mid_batch()
    {
        // The writers are this test's own: one is killed in the middle, the other started after.
        await using var rig = await StartAsync(writers: 0, scraper: false);
        var slow = new Dictionary<string, string> { ["Writer:Shards:0:WriteTimeout"] = "00:02:00" };
        var writerA = await ServiceProcess.StartWriterAsync(rig.Cluster.Url, rig.Database, Site, slow);
        await rig.StartScraperAsync();

        // A lock holds the writer's COPY before its commit: it has messages fetched and not acknowledged when killed.
        await using (var blocker = new NpgsqlConnection(rig.Database))
        {
            await blocker.OpenAsync();
            await using var transaction = await blocker.BeginTransactionAsync();
            await using (var command = new NpgsqlCommand("LOCK TABLE sensor_values IN ACCESS EXCLUSIVE MODE", blocker, transaction)) await command.ExecuteNonQueryAsync();
            await Stored.EventuallyAsync(async () => await writerA.MetricAsync("thermalplant_writer_consumer_ack_pending_messages") > 0, Settle,
                () => Task.FromResult("the writer never held unacknowledged messages"));
            await writerA.DisposeAsync();
            await transaction.RollbackAsync();
        }

        await using var writerB = await ServiceProcess.StartWriterAsync(rig.Cluster.Url, rig.Database, Site);
        await Task.Delay(3000);
        await rig.EveryValueStoredOnceAsync();
        // What the killed writer held came back to the other one after AckWait.
        Assert.True(await writerB.MetricAsync("thermalplant_writer_messages_redelivered_total") > 0, "nothing was redelivered");
    }

    [Fact]
    public async Task Every_value_is_stored_once_when_the_database_is_stopped_for_60_seconds()
    {
        // A PostgreSQL of this test's own: stopping the collection's shared one would fail the tests running beside it.
        await using var server = await PostgresServer.StartAsync();
        await using var rig = await StartAsync(await server.CreateDatabaseAsync());

        await server.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(60));
        // Meanwhile the stream held the batches: the writers failed and gave them back, the scraper's queue stayed short.
        var failures = 0.0;
        foreach (var writer in rig.Writers) failures += await writer.MetricAsync("thermalplant_writer_write_failures_total");
        Assert.True(failures > 0, "no write failed while the database was stopped");
        Assert.True(rig.Scraper.Queue.Depth < 10_000, $"the scraper held {rig.Scraper.Queue.Depth} samples: the stream did not take them while the database was away");
        await server.StartAgainAsync();
        // This test's own pooled connections ended with the server.
        using (var pooled = new NpgsqlConnection(rig.Database)) NpgsqlConnection.ClearPool(pooled);

        await Task.Delay(3000);
        await rig.EveryValueStoredOnceAsync();
    }

    [Fact]
    public async Task Every_value_is_stored_once_when_the_scraper_process_is_killed_with_SIGKILL()
    {
        await using var rig = await StartAsync(writers: 1, scraper: false);
        // The scraper host as its own process (dotnet ThermalPlant.Scraper.dll), its data directory kept across the kill.
        var first = await ServiceProcess.StartScraperAsync(_data.Path, rig.Settings);
        await StoredMoreThanAsync(rig.Database, 200);
        await Stored.EventuallyAsync(() => Task.FromResult(File.Exists(Path.Combine(_data.Path, "published.bin"))), Settle,
            () => Task.FromResult("no published timestamps were saved:" + Environment.NewLine + first.Output));

        // SIGKILL while it publishes: what waited in its memory is gone, and the plant goes on meanwhile.
        var killed = DateTime.UtcNow;
        await first.DisposeAsync();
        await Task.Delay(2000);
        var before = await Stored.CountAsync(rig.Database, "SELECT count(*) FROM sensor_values");
        await using var second = await ServiceProcess.StartScraperAsync(_data.Path, rig.Settings);
        await StoredMoreThanAsync(rig.Database, before + 100);

        try
        {
            await rig.EveryValueStoredOnceAsync();
        }
        catch (Xunit.Sdk.XunitException ex)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}{Environment.NewLine}--- scraper killed at {killed:HH:mm:ss.fff} ---{Environment.NewLine}{first.Output}--- restarted scraper ---{Environment.NewLine}{second.Output}");
        }
    }

    [Fact]
    public async Task Samples_published_by_a_scraper_are_scored_by_the_analytics_service_from_the_stream_each_once()
    {
        await using var rig = await StartAsync(writers: 1, scraper: false);
        using var state = new TempDirectory("thermalplant-analytics-nats-");
        await using var analytics = await ServiceProcess.StartAnalyticsAsync(rig.Cluster.Url, Site, state.Path);
        // Ready once its consumer is made and read: from then on it is given every message published, and none is
        // published before the scraper starts.
        await Stored.EventuallyAsync(analytics.ReadyAsync, Settle,
            () => Task.FromResult("the analytics service never read the stream:" + Environment.NewLine + analytics.Output));
        await rig.StartScraperAsync();
        await rig.EveryValueStoredOnceAsync();

        // Every sample the writer stored was given to the analytics service once: scored, or skipped for its Bad status.
        var stored = await Stored.CountAsync(rig.Database, "SELECT count(*) FROM sensor_values");
        var endpoint = $"endpoint=\"{rig.Plant.Url}\"";
        async Task<double> SeenAsync() => await analytics.MetricAsync("thermalplant_analytics_samples_scored_total", endpoint)
            + await analytics.MetricAsync("thermalplant_analytics_samples_skipped_total", "reason=\"bad_status\"");
        await Stored.EventuallyAsync(async () => await SeenAsync() >= stored, Settle,
            async () => $"the analytics service saw {await SeenAsync()} of {stored} samples:{Environment.NewLine}{analytics.Output}");
        await Task.Delay(2000);
        Assert.Equal(stored, await SeenAsync());
        Assert.Equal(0, await analytics.MetricAsync("thermalplant_analytics_samples_skipped_total", "reason=\"already_scored\""));
        var tags = await Stored.CountAsync(rig.Database, "SELECT count(DISTINCT tag_id) FROM sensor_values");
        Assert.Equal(tags, await analytics.MetricAsync("thermalplant_analytics_endpoint_variables", $"endpoint=\"nats:{Site}\""));
        Assert.True(await analytics.MetricAsync("thermalplant_analytics_samples_scored_total", endpoint) > 0, "no sample was scored");
    }

    [Fact]
    public async Task Events_go_over_nats_into_the_events_table_each_once_across_a_scraper_SIGKILL()
    {
        await using var rig = await StartAsync(writers: 1, scraper: false);
        var settings = rig.Settings;
        settings["Events:BatchDelay"] = "00:00:00.100";
        var first = await ServiceProcess.StartScraperAsync(_data.Path, settings);
        await EventCollectionTests.StartAlarmsOnceSubscribedAsync(rig.Plant, rig.Database);

        // Killed while alarms go on: the events raised until it is back come from the server's event history, from the
        // newest event JetStream acknowledged (kept in published.bin); what is published twice is stored once.
        await Task.Delay(2000);
        await first.DisposeAsync();
        await Task.Delay(2000);
        await using var second = await ServiceProcess.StartScraperAsync(_data.Path, settings);
        var before = await Stored.CountAsync(rig.Database, "SELECT count(*) FROM events");
        await Stored.EventuallyAsync(async () => await Stored.CountAsync(rig.Database, "SELECT count(*) FROM events") > before + 10, Settle,
            () => Task.FromResult("no event was stored after the restart:" + Environment.NewLine + second.Output));
        await rig.Plant.StopProducingAsync();

        await EventCollectionTests.EveryEventStoredOnceAsync(rig.Plant, rig.Database);
        Assert.True(await rig.Writers[0].MetricAsync("thermalplant_writer_events_written_total") > 0, "the writer counted no event");
    }

    [Fact]
    public async Task A_full_stream_refuses_publishes_visibly_and_the_scraper_keeps_them_until_writers_catch_up()
    {
        await using var rig = await StartAsync(writers: 0, scraper: false);
        var small = new Dictionary<string, string> { ["Writer:Stream:MaxBytes"] = "65536" };
        // The writer sets up the stream and its consumer, then is gone: nothing takes the messages.
        await (await ServiceProcess.StartWriterAsync(rig.Cluster.Url, rig.Database, Site, small)).DisposeAsync();
        var refusedBefore = Refused();
        await using var scraper = await ScraperRun.StartAsync(rig.Database, _data.Path, rig.Settings);

        await Stored.EventuallyAsync(() => Task.FromResult(Refused() > refusedBefore), Settle, () => Task.FromResult("JetStream never refused a publish"));
        using (var http = new HttpClient { BaseAddress = scraper.BaseAddress })
        {
            var ready = await http.GetStringAsync(new Uri("/health/ready", UriKind.Relative));
            Assert.Contains("nats: JetStream refused the message", ready, StringComparison.Ordinal);
        }
        Assert.True(scraper.Queue.Depth > 0, "the refused samples are not queued");

        await using var writer = await ServiceProcess.StartWriterAsync(rig.Cluster.Url, rig.Database, Site, small);
        await Task.Delay(3000);
        await rig.EveryValueStoredOnceAsync();
    }

    [Fact]
    public async Task Messages_reaching_MaxAge_unwritten_are_removed_and_the_writer_warns_before()
    {
        var database = await postgres.Server!.CreateDatabaseAsync();
        await using var relay = new TcpRelay(postgres.Server.Port);
        var viaRelay = new NpgsqlConnectionStringBuilder(database) { Port = relay.Port }.ConnectionString;
        var young = new Dictionary<string, string> { ["Writer:Stream:MaxAge"] = "00:00:08", ["Writer:Stream:DuplicateWindow"] = "00:00:02" };
        // The writer reaches the database through the relay, the test and the scraper's checks directly.
        await using var rig = await StartAsync(database, writers: 1, writerSettings: young, writerDatabase: viaRelay);
        var writer = rig.Writers[0];

        relay.Cut(refuseNew: true);
        await Stored.EventuallyAsync(() => Task.FromResult(writer.Output.Contains("of MaxAge", StringComparison.Ordinal)), Settle,
            () => Task.FromResult("the writer never warned of MaxAge:" + Environment.NewLine + writer.Output));
        Assert.True(await writer.MetricAsync("thermalplant_writer_stream_oldest_age_seconds") >= 0.8 * 8 - 1);
        // Past MaxAge the oldest messages are gone although no writer stored them: the documented loss.
        await Task.Delay(TimeSpan.FromSeconds(12));
        relay.Restore();
        await Task.Delay(5000);
        await rig.Plant.StopProducingAsync();
        var missing = await MissingAsync(rig.Plant, rig.Database);
        Assert.True(missing > 0, "nothing was lost, so MaxAge removed nothing");
    }

    [Fact]
    public void The_nats_transport_is_validated_at_start()
    {
        var options = new ScraperOptions { Transport = TransportKind.Nats };
        options.Nats.Url = "http://x:4222";
        options.Nats.Site = "plant.01";
        options.Nats.MaxSamplesPerMessage = 0;
        options.Nats.MaxInFlight = 0;
        options.WideRow.Table = "wide";
        var errors = new List<string>();
        options.Validate("Scraper", errors);
        Assert.Contains(errors, e => e.StartsWith("Scraper:Nats:Url must be", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Scraper:Nats:Site must be set", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Scraper:Nats:MaxSamplesPerMessage", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Scraper:Nats:MaxInFlight must be between 1 and 1024", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Scraper:WideRow needs the database", StringComparison.Ordinal));
        // The database is the writers' business then: no connection string is asked for.
        Assert.DoesNotContain(errors, e => e.StartsWith("Scraper:Database", StringComparison.Ordinal));

        var direct = new ScraperOptions();
        var directErrors = new List<string>();
        direct.Validate("Scraper", directErrors);
        Assert.Contains(directErrors, e => e.StartsWith("Scraper:Database:ConnectionString must be set", StringComparison.Ordinal));
    }

    /// <summary>
    /// The parts every test here runs: a database (<paramref name="database"/>, or a new one of the shared server), a
    /// three-node cluster, <paramref name="writers"/> writer processes (on <paramref name="writerDatabase"/>, if given),
    /// the plant producing, and unless <paramref name="scraper"/> is false an in-process scraper that has stored 200 rows.
    /// Each test has its own, so no test depends on another.
    /// </summary>
    private async Task<NatsRig> StartAsync(string? database = null, int writers = 2, Dictionary<string, string>? writerSettings = null, string? writerDatabase = null, bool scraper = true)
    {
        database ??= await postgres.Server!.CreateDatabaseAsync();
        var rig = new NatsRig(database, _data.Path, await NatsCluster.StartAsync());
        try
        {
            for (var i = 0; i < writers; i++) rig.Writers.Add(await ServiceProcess.StartWriterAsync(rig.Cluster.Url, writerDatabase ?? database, Site, writerSettings));
            rig.Plant = await PlantServer.StartAsync();
            rig.Plant.StartProducing();
            if (scraper) await rig.StartScraperAsync();
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    /// <summary>What <see cref="StartAsync"/> started, stopped in the reverse order.</summary>
    private sealed class NatsRig(string database, string dataDirectory, NatsCluster cluster) : IAsyncDisposable
    {
        private ScraperRun? _scraper;
        private PlantServer? _plant;

        public string Database => database;

        public NatsCluster Cluster => cluster;

        public List<ServiceProcess> Writers { get; } = [];

        public PlantServer Plant
        {
            get => _plant ?? throw new InvalidOperationException("the plant server is not started");
            set => _plant = value;
        }

        public ScraperRun Scraper => _scraper ?? throw new InvalidOperationException("no in-process scraper was started");

        /// <summary>The scraper's settings for this plant and cluster, a new dictionary each time.</summary>
        public Dictionary<string, string> Settings => NatsTransportTests.Settings(Plant.Url, Cluster.Url);

        /// <summary>Starts the in-process scraper and waits for 200 rows.</summary>
        public async Task StartScraperAsync()
        {
            _scraper = await ScraperRun.StartAsync(Database, dataDirectory, Settings);
            await StoredMoreThanAsync(Database, 200);
        }

        /// <summary>Stops the plant and checks that every value it produced is stored, and no row twice.</summary>
        public async Task EveryValueStoredOnceAsync()
        {
            await Plant.StopProducingAsync();
            await Expect.EveryValueStoredOnceAsync(Plant, Database, Settle);
            await NoDuplicateRowsAsync(Database);
        }

        /// <summary>Where each part stands, for a failure message: the scraper's queue and publish counters, each writer's log, each node's log.</summary>
        public async Task<string> DescribeAsync()
        {
            var text = new System.Text.StringBuilder();
            if (_scraper is not null)
            {
                using var http = new HttpClient { BaseAddress = _scraper.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
                string ready;
                try
                {
                    using var response = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
                    ready = await response.Content.ReadAsStringAsync();
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    ready = e.Message;
                }
                text.Append(CultureInfo.InvariantCulture, $"scraper at {DateTime.UtcNow:HH:mm:ss.fff}: queue {_scraper.Queue.Depth} samples, published {NatsPublishMetrics.Messages.Value} messages, {NatsPublishMetrics.Failures.Value} failures, {NatsPublishMetrics.Duplicates.Value} duplicates; ready: {ready}").AppendLine();
            }
            for (var i = 0; i < Writers.Count; i++)
            {
                string state;
                try
                {
                    var acked = await Writers[i].MetricAsync("thermalplant_writer_messages_acked_total");
                    var pending = await Writers[i].MetricAsync("thermalplant_writer_consumer_pending_messages");
                    var ackPending = await Writers[i].MetricAsync("thermalplant_writer_consumer_ack_pending_messages");
                    state = string.Create(CultureInfo.InvariantCulture, $"acknowledged {acked} messages, consumer pending {pending}, awaiting acknowledgement {ackPending}");
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    state = e.Message;
                }
                text.Append(CultureInfo.InvariantCulture, $"--- writer {i + 1}: {state} ---").AppendLine().Append(Writers[i].Output);
            }
            return text.Append(cluster.Log).ToString();
        }

        public async ValueTask DisposeAsync()
        {
            if (_scraper is not null) await _scraper.DisposeAsync();
            if (_plant is not null) await _plant.DisposeAsync();
            for (var i = Writers.Count - 1; i >= 0; i--) await Writers[i].DisposeAsync();
            await cluster.DisposeAsync();
        }
    }

    private static Dictionary<string, string> Settings(string plantUrl, string natsUrl) => new(StringComparer.Ordinal)
    {
        ["OpcUa:Endpoints:0:Url"] = plantUrl,
        ["OpcUa:Endpoints:0:PublishingInterval"] = "00:00:00.200",
        ["OpcUa:Endpoints:0:ReconnectMinDelay"] = "00:00:00.200",
        ["OpcUa:Endpoints:0:ReconnectMaxDelay"] = "00:00:01",
        ["Transport"] = "Nats",
        ["Nats:Url"] = natsUrl,
        ["Nats:Site"] = Site,
        ["Nats:RequestTimeout"] = "00:00:05",
        ["Nats:RetryMinDelay"] = "00:00:00.200",
        ["Nats:RetryMaxDelay"] = "00:00:02",
        ["Nats:CheckpointInterval"] = "00:00:00.500",
        ["Nats:ConsumerCheckInterval"] = "00:00:01",
    };

    private static double Refused() => NatsPublishMetrics.Refused.GetAllLabelValues().Sum(l => NatsPublishMetrics.Refused.WithLabels(l).Value);

    private static Task StoredMoreThanAsync(string database, long rows) =>
        Stored.EventuallyAsync(async () => await Stored.CountAsync(database, "SELECT count(*) FROM sensor_values") > rows, Settle,
            async () => $"{await Stored.CountAsync(database, "SELECT count(*) FROM sensor_values")} rows stored, waiting for more than {rows.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>Rows per (tag, time) beyond the first: the unique key should make this 0 whatever was delivered twice.</summary>
    private static async Task NoDuplicateRowsAsync(string database) =>
        Assert.Equal(0, await Stored.CountAsync(database, "SELECT count(*) - count(DISTINCT (tag_id, time)) FROM sensor_values"));

    /// <summary>Values produced since the first stored one of each variable and not stored.</summary>
    private static async Task<long> MissingAsync(PlantServer plant, string database)
    {
        var stored = await Stored.PerNodeAsync(database, plant.Url);
        long missing = 0;
        foreach (var (node, stamps) in plant.Produced)
        {
            if (!stored.TryGetValue(node, out var row) || row.First is not { } first) continue;
            missing += stamps.Count(s => s >= first) - row.Rows;
        }
        return missing;
    }
}
