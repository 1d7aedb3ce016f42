using Npgsql;
using ThermalPlant.Testing;

namespace ThermalPlant.Scraper.Tests;

/// <summary>The scraper against our OPC UA server and a real PostgreSQL, with outages cut by relays.</summary>
[Collection(PostgresCollection.Name)]
public sealed class OpcUaCollectionTests(PostgresFixture postgres) : IDisposable
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _data = new("thermalplant-scraper-");

    public void Dispose() => _data.Dispose();

    [Theory]
    [InlineData("Plain")]
    [InlineData("TimescaleDb")]
    public async Task The_whole_tree_is_stored_with_the_naming_rule_and_strings_are_skipped(string path)
    {
        var database = await postgres.Server.CreateDatabaseAsync();
        await using var plant = await PlantServer.StartAsync();
        plant.StartProducing();
        await using var scraper = await ScraperRun.StartAsync(database, _data.Path, Endpoint(plant.Url), path);

        var expectedTags = PlantServer.Numeric.Sum(n => Math.Max(1, n.Elements));
        await Stored.EventuallyAsync(async () => (await Stored.PerNodeAsync(database, plant.Url)).Count(t => t.Value.Rows > 0) == expectedTags, Settle,
            async () => $"stored tags: {string.Join(", ", (await Stored.PerNodeAsync(database, plant.Url)).Keys)}");
        var tags = await Stored.PerNodeAsync(database, plant.Url);
        var names = tags.Values.Select(t => $"{t.Sensor}/{t.Tag}").ToHashSet();
        foreach (var (_, sensor, tag, elements) in PlantServer.Numeric)
        {
            if (elements == 0) Assert.Contains($"{sensor}/{tag}", names);
            for (var i = 0; i < elements; i++) Assert.Contains($"{sensor}/{tag}[{i}]", names);
        }
        Assert.Equal(expectedTags, tags.Count);
        Assert.DoesNotContain(tags.Keys, k => k.Contains("Model", StringComparison.Ordinal));
        Assert.Equal(1, ScraperMetrics.SkippedVariables.WithLabels(plant.Url).Value);

        using var http = new HttpClient { BaseAddress = scraper.BaseAddress };
        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        // The names Grafana's dashboards and alert rules select.
        foreach (var name in new[]
        {
            "thermalplant_scraper_values_received_total{endpoint=", "thermalplant_scraper_values_written_total", "thermalplant_scraper_backfilled_values_total",
            "thermalplant_scraper_queue_depth", "thermalplant_scraper_spill_bytes", "thermalplant_scraper_copy_duration_seconds_bucket",
            "thermalplant_scraper_copy_rows_bucket", "thermalplant_scraper_lag_seconds{endpoint=",
        })
        {
            Assert.Contains(name, metrics, StringComparison.Ordinal);
        }
        Assert.Equal("Healthy", await http.GetStringAsync(new Uri("/health/ready", UriKind.Relative)));

        await plant.StopProducingAsync();
        await Expect.EveryValueStoredOnceAsync(plant, database, Settle);
        var seedQuery = await Stored.CountAsync(database,
            "SELECT count(*) FROM (SELECT time_bucket('5s', timestamp) AS time, avg(value) FROM sensor_data WHERE sensorname = 'temperature' AND tagname = 'upper' AND timestamp > now() - interval '1 hour' GROUP BY time) q");
        Assert.True(seedQuery > 0);
    }

    [Theory]
    [InlineData("Plain")]
    [InlineData("TimescaleDb")]
    public async Task A_database_outage_under_load_spills_to_disk_and_every_value_is_stored_once(string path)
    {
        var database = await postgres.Server.CreateDatabaseAsync();
        await using var relay = new TcpRelay(postgres.Server.Port);
        var viaRelay = new NpgsqlConnectionStringBuilder(database) { Port = relay.Port, Timeout = 3 }.ConnectionString;
        await using var plant = await PlantServer.StartAsync();
        plant.StartProducing();
        var settings = Endpoint(plant.Url);
        settings["Storage:QueueCapacity"] = "200";
        await using var scraper = await ScraperRun.StartAsync(viaRelay, _data.Path, settings, path);
        await Stored.EventuallyAsync(async () => await Stored.CountAsync(database, "SELECT count(*) FROM sensor_values") > 0, Settle, () => Task.FromResult("nothing was stored before the outage"));

        relay.Cut(refuseNew: true);
        var spilled = 0L;
        for (var i = 0; i < 30; i++)
        {
            await Task.Delay(200);
            spilled = Math.Max(spilled, scraper.Queue.SpillBytes);
        }
        relay.Restore();
        Assert.True(spilled > 0, "the memory bound was not hit: nothing spilled during the outage");
        await Task.Delay(1000);
        await plant.StopProducingAsync();

        await Expect.EveryValueStoredOnceAsync(plant, database, Settle);
        await Stored.EventuallyAsync(() => Task.FromResult(scraper.Queue.SpillBytes == 0 && scraper.Queue.Depth == 0), Settle, () => Task.FromResult($"the spill file was not replayed: {scraper.Queue.SpillBytes} bytes left"));
    }

    [Fact]
    public async Task A_cut_connection_and_a_restarted_server_are_back_filled_from_history()
    {
        var database = await postgres.Server.CreateDatabaseAsync();
        await using var plant = await PlantServer.StartAsync();
        await using var relay = new TcpRelay(plant.Port);
        plant.StartProducing();
        var url = $"opc.tcp://127.0.0.1:{relay.Port}/freeopcua/server/";
        var settings = Endpoint(url);
        // A small server queue overflows during the cut, so the values lost there must come from history.
        settings["OpcUa:Endpoints:0:QueueSize"] = "5";
        await using var scraper = await ScraperRun.StartAsync(postgres.Server.ConnectionString(new NpgsqlConnectionStringBuilder(database).Database!), _data.Path, settings);
        await Stored.EventuallyAsync(async () => await Stored.CountAsync(database, "SELECT count(*) FROM sensor_values") > 100, Settle, () => Task.FromResult("nothing was stored before the cut"));
        var backfilledBefore = ScraperMetrics.Backfilled.WithLabels(url).Value;

        relay.Cut(refuseNew: true);
        await Task.Delay(3000);
        relay.Restore();
        await Task.Delay(2000);
        await plant.RestartAsync(TimeSpan.FromSeconds(2));
        await Task.Delay(3000);
        await plant.StopProducingAsync();

        await Expect.EveryValueStoredOnceAsync(plant.WithUrl(url), database, Settle);
        Assert.True(ScraperMetrics.Backfilled.WithLabels(url).Value > backfilledBefore, "nothing was back-filled");
    }

    [Fact]
    public async Task After_a_crash_the_spill_file_is_replayed_and_the_gap_back_filled()
    {
        var database = await postgres.Server.CreateDatabaseAsync();
        await using var relay = new TcpRelay(postgres.Server.Port);
        var viaRelay = new NpgsqlConnectionStringBuilder(database) { Port = relay.Port, Timeout = 3 }.ConnectionString;
        await using var plant = await PlantServer.StartAsync();
        plant.StartProducing();
        var settings = Endpoint(plant.Url);
        settings["Storage:QueueCapacity"] = "200";
        var first = await ScraperRun.StartAsync(viaRelay, _data.Path, settings);
        await Stored.EventuallyAsync(async () => await Stored.CountAsync(database, "SELECT count(*) FROM sensor_values") > 100, Settle, () => Task.FromResult("nothing was stored before the outage"));

        relay.Cut(refuseNew: true);
        await Stored.EventuallyAsync(() => Task.FromResult(first.Queue.SpillBytes > 0), Settle, () => Task.FromResult("nothing spilled"));
        await Task.Delay(1500);
        await first.CrashAsync();
        Assert.True(File.Exists(Path.Combine(_data.Path, "spill.bin")), "the crash left no spill file");
        // The plant goes on while no scraper runs: those values exist only in the server's history.
        await Task.Delay(2000);
        relay.Restore();

        await using var second = await ScraperRun.StartAsync(viaRelay, _data.Path, settings);
        await Task.Delay(2000);
        await plant.StopProducingAsync();
        await Expect.EveryValueStoredOnceAsync(plant, database, Settle);
        await Stored.EventuallyAsync(() => Task.FromResult(second.Queue.SpillBytes == 0), Settle, () => Task.FromResult("the spill file was not replayed"));
    }

    [Fact]
    public async Task Polling_mode_stores_each_new_value_once_without_a_subscription()
    {
        var database = await postgres.Server.CreateDatabaseAsync();
        await using var plant = await PlantServer.StartAsync();
        plant.StartProducing();
        var settings = Endpoint(plant.Url);
        settings["OpcUa:Endpoints:0:Mode"] = "Poll";
        settings["OpcUa:Endpoints:0:PollInterval"] = "00:00:00.100";
        await using var scraper = await ScraperRun.StartAsync(database, _data.Path, settings);
        var expectedTags = PlantServer.Numeric.Sum(n => Math.Max(1, n.Elements));
        await Stored.EventuallyAsync(async () => (await Stored.PerNodeAsync(database, plant.Url)).Count(t => t.Value.Rows >= 10) == expectedTags, Settle,
            async () => $"stored: {string.Join(", ", (await Stored.PerNodeAsync(database, plant.Url)).Select(t => $"{t.Key}={t.Value.Rows}"))}");
        await plant.StopProducingAsync();
        // Every row is a value the server produced, at its source timestamp; a value read twice is not a second row.
        await Expect.OnlyProducedValuesStoredAsync(plant, database);
        Assert.Equal(0, await Stored.CountAsync(database, "SELECT count(*) FROM sensor_values WHERE status <> 0"));
    }

    [Fact]
    public async Task Listed_nodes_are_collected_under_their_listed_names_without_a_browse()
    {
        var database = await postgres.Server.CreateDatabaseAsync();
        await using var plant = await PlantServer.StartAsync();
        plant.StartProducing();
        // The node ids as the server writes them (its namespace index), once it has produced a value of each.
        var until = DateTime.UtcNow + Settle;
        while (!plant.Produced.Keys.Any(k => k.EndsWith("Plant.Burner.Starts", StringComparison.Ordinal)) || !plant.Produced.Keys.Any(k => k.EndsWith("Plant.Temperature.Upper", StringComparison.Ordinal)))
        {
            if (DateTime.UtcNow > until) Assert.Fail("the plant produced no values");
            await Task.Delay(50);
        }
        var upper = plant.Produced.Keys.Single(k => k.EndsWith("Plant.Temperature.Upper", StringComparison.Ordinal));
        var starts = plant.Produced.Keys.Single(k => k.EndsWith("Plant.Burner.Starts", StringComparison.Ordinal));
        var model = upper.Replace("Plant.Temperature.Upper", "Plant.Burner.Model", StringComparison.Ordinal);
        var settings = Endpoint(plant.Url);
        // A root that does not exist: a browse would fail the session, so stored rows show the list was used.
        settings["OpcUa:Endpoints:0:Root"] = "Objects/NoSuchFolder";
        string[][] listed = [[upper, "furnace", "top"], [starts, "furnace", "burner_starts"], [model, "furnace", "model"]];
        for (var i = 0; i < listed.Length; i++)
        {
            settings[$"OpcUa:Endpoints:0:Nodes:{i}:NodeId"] = listed[i][0];
            settings[$"OpcUa:Endpoints:0:Nodes:{i}:SensorName"] = listed[i][1];
            settings[$"OpcUa:Endpoints:0:Nodes:{i}:TagName"] = listed[i][2];
        }
        await using var scraper = await ScraperRun.StartAsync(database, _data.Path, settings);
        await Stored.EventuallyAsync(async () => (await Stored.PerNodeAsync(database, plant.Url)).Count(t => t.Value.Rows >= 10) == 2, Settle,
            async () => $"stored: {string.Join(", ", (await Stored.PerNodeAsync(database, plant.Url)).Select(t => $"{t.Key}={t.Value.Rows}"))}");
        await plant.StopProducingAsync();

        // Exactly the two numeric listed nodes (the string is skipped), named as listed, each produced value once.
        await Stored.EventuallyAsync(async () =>
        {
            var tags = await Stored.PerNodeAsync(database, plant.Url);
            return tags.Count == 2 && tags.All(t => t.Value.First is { } first && t.Value.Rows == t.Value.Distinct && t.Value.Rows == plant.Produced[t.Key].Count(s => s >= first));
        }, Settle, async () => $"stored: {string.Join(", ", (await Stored.PerNodeAsync(database, plant.Url)).Select(t => $"{t.Key}={t.Value.Rows}/{plant.Produced.GetValueOrDefault(t.Key)?.Count}"))}");
        var stored = await Stored.PerNodeAsync(database, plant.Url);
        Assert.Equal(("furnace", "top"), (stored[upper].Sensor, stored[upper].Tag));
        Assert.Equal(("furnace", "burner_starts"), (stored[starts].Sensor, stored[starts].Tag));
        Assert.Equal(1, ScraperMetrics.SkippedVariables.WithLabels(plant.Url).Value);
    }

    private static Dictionary<string, string> Endpoint(string url) => new(StringComparer.Ordinal)
    {
        ["OpcUa:Endpoints:0:Url"] = url,
        ["OpcUa:Endpoints:0:PublishingInterval"] = "00:00:00.200",
        ["OpcUa:Endpoints:0:ReconnectMinDelay"] = "00:00:00.200",
        ["OpcUa:Endpoints:0:ReconnectMaxDelay"] = "00:00:01",
    };
}
