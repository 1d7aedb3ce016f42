using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using ThermalPlant.Scraper.Events;
using ThermalPlant.Testing;

namespace ThermalPlant.Scraper.Tests;

/// <summary>
/// The scraper's events against our OPC UA server raising alarm transitions and system events, and a real PostgreSQL
/// on both schema paths: the same zero-loss cases as for values (a database outage that spills to disk, a crash with
/// the spill file left behind while the plant goes on, a cut connection and a restarted server whose events come from
/// its event history), each raised event stored exactly once with its fields.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class EventCollectionTests(PostgresFixture postgres) : IDisposable
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _data = new("thermalplant-scraper-events-");

    public void Dispose() => _data.Dispose();

    [Theory]
    [InlineData("Plain")]
    [InlineData("TimescaleDb")]
    public async Task A_database_outage_spills_events_to_disk_and_every_event_is_stored_once(string path)
    {
        await using var rig = await StartAsync(path, Cut.Database);
        var events = rig.Scraper.Services.GetRequiredService<EventQueue>();

        rig.Relay.Cut(refuseNew: true);
        var spilled = 0L;
        for (var i = 0; i < 30; i++)
        {
            await Task.Delay(200);
            spilled = Math.Max(spilled, events.SpillBytes);
        }
        rig.Relay.Restore();
        Assert.True(spilled > 0, "the event queue's memory bound was not hit: nothing spilled during the outage");
        await Task.Delay(1000);
        await rig.Plant.StopProducingAsync();

        await EveryEventStoredOnceAsync(rig.Plant, rig.Database);
        await Stored.EventuallyAsync(() => Task.FromResult(events.SpillBytes == 0 && events.Depth == 0), Settle, () => Task.FromResult($"the event spill file was not replayed: {events.SpillBytes} bytes left"));
    }

    [Theory]
    [InlineData("Plain")]
    [InlineData("TimescaleDb")]
    public async Task After_a_crash_the_event_spill_file_is_replayed_and_the_events_raised_meanwhile_back_filled(string path)
    {
        await using var rig = await StartAsync(path, Cut.Database);

        rig.Relay.Cut(refuseNew: true);
        var events = rig.Scraper.Services.GetRequiredService<EventQueue>();
        await Stored.EventuallyAsync(() => Task.FromResult(events.SpillBytes > 0), Settle, () => Task.FromResult("no event spilled"));
        await Task.Delay(1500);
        await rig.Scraper.CrashAsync();
        Assert.True(File.Exists(Path.Combine(_data.Path, "events.bin")), "the crash left no event spill file");
        // The plant goes on while no scraper runs: those events exist only in the server's event history.
        await Task.Delay(2000);
        rig.Relay.Restore();

        await using var second = await ScraperRun.StartAsync(rig.ScraperDatabase, _data.Path, rig.Settings, path);
        await Task.Delay(2000);
        await rig.Plant.StopProducingAsync();
        await EveryEventStoredOnceAsync(rig.Plant, rig.Database);
        var replayed = second.Services.GetRequiredService<EventQueue>();
        await Stored.EventuallyAsync(() => Task.FromResult(replayed.SpillBytes == 0), Settle, () => Task.FromResult("the event spill file was not replayed"));
    }

    [Theory]
    [InlineData("Plain")]
    [InlineData("TimescaleDb")]
    public async Task Events_raised_while_the_connection_is_cut_or_the_server_restarts_are_back_filled_from_its_event_history(string path)
    {
        await using var rig = await StartAsync(path, Cut.Plant);
        var backfilledBefore = EventMetrics.Backfilled.WithLabels(rig.Url).Value;

        rig.Relay.Cut(refuseNew: true);
        await Task.Delay(3000);
        rig.Relay.Restore();
        await Task.Delay(2000);
        await rig.Plant.RestartAsync(TimeSpan.FromSeconds(2));
        await Task.Delay(3000);
        await rig.Plant.StopProducingAsync();

        await EveryEventStoredOnceAsync(rig.Plant.WithUrl(rig.Url), rig.Database);
        Assert.True(EventMetrics.Backfilled.WithLabels(rig.Url).Value > backfilledBefore, "no event was back-filled");
    }

    [Theory]
    [InlineData("Plain")]
    [InlineData("TimescaleDb")]
    public async Task An_event_raised_during_a_cut_but_stamped_long_before_it_is_back_filled(string path)
    {
        await using var rig = await StartAsync(path, Cut.Plant);

        rig.Relay.Cut(refuseNew: true);
        await Task.Delay(1000);
        // Stamped two hours before the newest event received before the cut: more than the overlap (30 s) and more than
        // EventBackfillLookback (1 h), so a history read by Time from either before the newest would not reach it.
        rig.Plant.RaiseLate(TimeSpan.FromHours(2), "reported late");
        await Task.Delay(1000);
        rig.Relay.Restore();
        await Task.Delay(3000);
        await rig.Plant.StopProducingAsync();

        await EveryEventStoredOnceAsync(rig.Plant.WithUrl(rig.Url), rig.Database);
        Assert.Equal(1, await Stored.CountAsync(rig.Database, "SELECT count(*) FROM events WHERE message = 'reported late'"));
    }

    [Fact]
    public async Task Without_configured_notifiers_the_notifiers_under_the_root_are_found_and_their_events_stored()
    {
        Assert.NotNull(postgres.Server);
        var database = await postgres.Server.CreateDatabaseAsync();
        await using var plant = await PlantServer.StartAsync();
        // The Server object reports nothing here: only a search under the root finds where the events are.
        var area = plant.AddEventArea("Boiler", serverReports: false);
        plant.StartProducing();
        await using var scraper = await ScraperRun.StartAsync(database, _data.Path, Settings(plant.Url), "Plain");
        await Stored.EventuallyAsync(async () => await Stored.CountAsync(database, "SELECT count(*) FROM sensor_values") > 0, Settle, () => Task.FromResult("no value was stored"));

        var raised = 0;
        await Stored.EventuallyAsync(async () =>
        {
            // Raised until one arrives: the event subscription is made next to the value subscription.
            plant.RaiseIn(area, $"boiler {raised++}");
            await Task.Delay(500);
            return await Stored.CountAsync(database, "SELECT count(*) FROM events WHERE message LIKE 'boiler %'") > 0;
        }, Settle, () => Task.FromResult("no event of the Boiler notifier was stored"));
        plant.RaiseIn(area, "boiler last");

        await Stored.EventuallyAsync(async () => await Stored.CountAsync(database, "SELECT count(*) FROM events WHERE message = 'boiler last' AND event_type = 'SystemEventType'") == 1,
            Settle, () => Task.FromResult("the Boiler notifier's last event was not stored once"));
    }

    /// <summary>Which link a test's relay carries, to be cut.</summary>
    private enum Cut
    {
        /// <summary>The scraper's connection to the database.</summary>
        Database,

        /// <summary>The scraper's connection to the plant server, whose event queue is small so that a cut overflows it.</summary>
        Plant,
    }

    /// <summary>
    /// The parts of the outage tests, each test's own: a database on <paramref name="path"/>, the plant producing, a
    /// relay on the link <paramref name="cut"/> names, and a scraper through it whose first event is stored.
    /// </summary>
    private async Task<EventRig> StartAsync(string path, Cut cut)
    {
        Assert.NotNull(postgres.Server);
        var database = await postgres.Server.CreateDatabaseAsync();
        var plant = await PlantServer.StartAsync();
        var relay = new TcpRelay(cut == Cut.Database ? postgres.Server.Port : plant.Port);
        var rig = new EventRig(database, plant, relay, cut == Cut.Database
            ? new NpgsqlConnectionStringBuilder(database) { Port = relay.Port, Timeout = 3 }.ConnectionString
            : database, cut == Cut.Plant ? $"opc.tcp://127.0.0.1:{relay.Port}/freeopcua/server/" : plant.Url);
        try
        {
            // A small server queue overflows during a cut, so the events dropped there must come from the event history.
            if (cut == Cut.Plant) rig.Settings["OpcUa:Endpoints:0:EventQueueSize"] = "5";
            plant.StartProducing();
            rig.Scraper = await ScraperRun.StartAsync(rig.ScraperDatabase, _data.Path, rig.Settings, path);
            await StartAlarmsOnceSubscribedAsync(plant, database);
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    /// <summary>What <see cref="StartAsync"/> started, stopped in the reverse order.</summary>
    private sealed class EventRig(string database, PlantServer plant, TcpRelay relay, string scraperDatabase, string url) : IAsyncDisposable
    {
        private ScraperRun? _scraper;

        public string Database => database;

        public PlantServer Plant => plant;

        public TcpRelay Relay => relay;

        /// <summary>The scraper's connection string: through the relay when it carries the database link.</summary>
        public string ScraperDatabase => scraperDatabase;

        /// <summary>The plant's URL as the scraper reaches it: through the relay when it carries the plant link.</summary>
        public string Url => url;

        public Dictionary<string, string> Settings { get; } = EventCollectionTests.Settings(url);

        public ScraperRun Scraper
        {
            get => _scraper ?? throw new InvalidOperationException("the scraper is not started");
            set => _scraper = value;
        }

        public async ValueTask DisposeAsync()
        {
            if (_scraper is not null) await _scraper.DisposeAsync();
            await relay.DisposeAsync();
            await plant.DisposeAsync();
        }
    }

    /// <summary>Starts the alarms once values are stored (the session, and with it the event subscription, is up), and waits for the first event stored.</summary>
    internal static async Task StartAlarmsOnceSubscribedAsync(PlantServer plant, string database)
    {
        await Stored.EventuallyAsync(async () => await Stored.CountAsync(database, "SELECT count(*) FROM sensor_values") > 0, Settle, () => Task.FromResult("no value was stored"));
        // The event subscription is made next to the value subscription; a second covers it on a loaded machine.
        await Task.Delay(2000);
        plant.RaiseAlarms();
        await Stored.EventuallyAsync(async () => await Stored.CountAsync(database, "SELECT count(*) FROM events") > 0, Settle, () => Task.FromResult("no event was stored"));
    }

    /// <summary>Waits until every event the plant raised is stored exactly once with its type, message, severity and states, and nothing else is.</summary>
    internal static async Task EveryEventStoredOnceAsync(PlantServer plant, string database)
    {
        var report = "";
        var until = DateTime.UtcNow + Settle;
        while (true)
        {
            await using (var connection = new NpgsqlConnection(database))
            {
                await connection.OpenAsync();
                var rows = (await connection.QueryAsync<(byte[] Id, DateTime Time, string Type, string? Message, int Severity, string? Condition, bool? Active, string Endpoint)>(
                    "SELECT event_id, time, event_type, message, severity, condition_id, active, endpoint FROM events")).ToList();
                var stored = rows.GroupBy(r => Convert.ToHexString(r.Id)).ToDictionary(g => g.Key, g => g.ToList());
                var problems = new List<string>();
                var missing = plant.RaisedEvents.Keys.Count(k => !stored.ContainsKey(k));
                if (missing > 0) problems.Add($"{missing} of {plant.RaisedEvents.Count} raised events not stored");
                var extra = stored.Keys.Count(k => !plant.RaisedEvents.ContainsKey(k));
                if (extra > 0) problems.Add($"{extra} stored events were not raised");
                foreach (var (id, copies) in stored.Where(s => plant.RaisedEvents.ContainsKey(s.Key)))
                {
                    var raised = plant.RaisedEvents[id];
                    var row = copies[0];
                    var active = raised.TryGetField("ActiveState/Id", out var state) ? state.Value as bool? : null;
                    var type = raised.ConditionId is null ? "SystemEventType" : "AlarmConditionType";
                    if (copies.Count != 1 || row.Endpoint != plant.Url || row.Type != type || row.Message != raised.Message.Text || row.Severity != raised.Severity
                        || row.Active != active || row.Condition != raised.ConditionId?.ToString() || DateTime.SpecifyKind(row.Time, DateTimeKind.Utc) != Microseconds(raised.Time))
                    {
                        problems.Add($"{id}: stored {copies.Count}x as {row}, raised {type} '{raised.Message.Text}' {raised.Severity} active={active} at {raised.Time:o}");
                    }
                }
                if (problems.Count == 0 && plant.RaisedEvents.Count > 0) return;
                report = string.Join(Environment.NewLine, problems.Take(20));
            }
            if (DateTime.UtcNow > until) Assert.Fail("Not every raised event is stored exactly once:" + Environment.NewLine + report);
            await Task.Delay(250);
        }
    }

    // PostgreSQL keeps microseconds; OPC UA times have 100 ns.
    private static DateTime Microseconds(DateTime time) => new(time.Ticks - (time.Ticks % 10), DateTimeKind.Utc);

    private static Dictionary<string, string> Settings(string url) => new(StringComparer.Ordinal)
    {
        ["OpcUa:Endpoints:0:Url"] = url,
        ["OpcUa:Endpoints:0:PublishingInterval"] = "00:00:00.200",
        ["OpcUa:Endpoints:0:ReconnectMinDelay"] = "00:00:00.200",
        ["OpcUa:Endpoints:0:ReconnectMaxDelay"] = "00:00:01",
        ["Storage:QueueCapacity"] = "200",
        ["Events:QueueCapacity"] = "5",
        ["Events:BatchDelay"] = "00:00:00.100",
    };
}
