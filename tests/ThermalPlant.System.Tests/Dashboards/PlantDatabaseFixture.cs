using Npgsql;
using ThermalPlant.Storage.Events;
using ThermalPlant.Storage.Maintenance;
using ThermalPlant.Storage.Schema;
using ThermalPlant.Storage.Writing;
using ThermalPlant.Testing;

namespace ThermalPlant.System.Tests.Dashboards;

/// <summary>
/// A real PostgreSQL 15 with the suite's schema on the plain path (and the same data in a second database on the
/// TimescaleDB path, which fails where TimescaleDB is not installed) and 40 minutes of a plant
/// up to now, written by the scraper's <see cref="SampleWriter"/> and rolled up by <see cref="RollupMaintainer"/>:
/// every scalar tag, spectrum bands and MFCCs at 1 s, the lower thermocouple open (Bad, no value) for the last
/// 90 s and the shaft speed Uncertain for 30 s twenty minutes ago; and the analytics service's results as the scraper
/// stores its endpoint: anomaly scores of the scalar tags (the upper thermocouple's high for a minute) and the main
/// shaft bearing's diagnosis severity; and the OPC UA events the scraper stores from both endpoints (alarms active, acknowledged,
/// cleared, system events) in the events table. Null <see cref="DataSource"/> when PostgreSQL
/// is not installed outside CI (under CI <see cref="PostgresServer.StartAsync"/> fails instead).
/// </summary>
public sealed class PlantDatabaseFixture : IAsyncLifetime
{
    public const string Endpoint = "opc.tcp://opcserver:4840/freeopcua/server/";
    public const string AnalyticsEndpoint = "opc.tcp://analytics:4842/thermalplant/analytics/";
    public const uint Bad = 0x80000000;
    public const uint Uncertain = 0x40000000;

    private PostgresServer? _server;

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    /// <summary>The newest sample's time (UTC, whole second).</summary>
    public DateTime End { get; private set; }

    public static TimeSpan Span { get; } = TimeSpan.FromMinutes(40);

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.StartAsync();
        DataSource = NpgsqlDataSource.Create(await _server.CreateDatabaseAsync());
        var migration = await new SchemaMigrator(DataSource, new SchemaMigratorOptions { Path = StoragePathPreference.Plain }).MigrateAsync(CancellationToken.None);

        TimescaleDataSource = NpgsqlDataSource.Create(await _server.CreateDatabaseAsync());
        var timescale = await new SchemaMigrator(TimescaleDataSource, new SchemaMigratorOptions { Path = StoragePathPreference.TimescaleDb }).MigrateAsync(CancellationToken.None);

        var now = DateTime.UtcNow;
        End = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        var writer = new SampleWriter(DataSource, migration.Path);
        var timescaleWriter = new SampleWriter(TimescaleDataSource, timescale.Path);
        foreach (var batch in Samples(End).Chunk(5000))
        {
            await writer.WriteAsync(batch, CancellationToken.None);
            await timescaleWriter.WriteAsync(batch, CancellationToken.None);
        }
        var eventWriter = new EventWriter(DataSource);
        var timescaleEventWriter = new EventWriter(TimescaleDataSource);
        await eventWriter.WriteAsync(Events(End), CancellationToken.None);
        await timescaleEventWriter.WriteAsync(Events(End), CancellationToken.None);
        // As the scraper's maintainer and TimescaleDB's refresh policies do on their schedules, both at one instant so
        // their windows match: the last 10 minutes at 5 s, the last hour at 1 min, as on a running stack.
        var refreshedAt = DateTimeOffset.UtcNow;
        await new RollupMaintainer(DataSource, migration.Path, new FixedTime(refreshedAt)).RefreshAllAsync(CancellationToken.None);
        await RefreshLikeThePoliciesAsync(TimescaleDataSource, refreshedAt);
    }

    /// <summary>The same plant in a database on the TimescaleDB path (hypertable, continuous aggregates).</summary>
    public NpgsqlDataSource TimescaleDataSource { get; private set; } = null!;

    /// <summary>Refreshes each continuous aggregate over the window its policy would at <paramref name="at"/>.</summary>
    private static async Task RefreshLikeThePoliciesAsync(NpgsqlDataSource dataSource, DateTimeOffset at)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var policies = new List<(string View, TimeSpan Start, TimeSpan End)>();
        await using (var read = new NpgsqlCommand("""
            SELECT hypertable_name::text, (config->>'start_offset')::interval, (config->>'end_offset')::interval
            FROM timescaledb_information.jobs WHERE proc_name = 'policy_refresh_continuous_aggregate'
            """, connection))
        await using (var reader = await read.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) policies.Add((reader.GetString(0), reader.GetTimeSpan(1), reader.GetTimeSpan(2)));
        }
        Assert.Equal(3, policies.Count);
        foreach (var (view, start, end) in policies)
        {
            // A refresh cannot run inside a transaction block, so each is its own statement.
            await using var refresh = new NpgsqlCommand($"CALL refresh_continuous_aggregate('{view}', @from, @to)", connection);
            refresh.Parameters.AddWithValue("from", at - start);
            refresh.Parameters.AddWithValue("to", at - end);
            await refresh.ExecuteNonQueryAsync();
        }
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    public async Task DisposeAsync()
    {
        if (DataSource is not null) await DataSource.DisposeAsync();
        if (TimescaleDataSource is not null) await TimescaleDataSource.DisposeAsync();
        if (_server is not null) await _server.DisposeAsync();
    }

    /// <summary>The condition of the lower thermocouple's open circuit, active and unacknowledged for the last 90 s.</summary>
    public const string LowerOffNormal = "ns=2;s=Plant.Temperature.Lower.OffNormal";

    /// <summary>The upper thermocouple's limit alarm: high 20 minutes ago, acknowledged, back to normal, confirmed.</summary>
    public const string UpperLimit = "ns=2;s=Plant.Temperature.Upper.Limit";

    /// <summary>The analytics service's bearing diagnosis: active for the last 5 minutes, acknowledged.</summary>
    public const string BearingDiagnosis = "ns=2;s=Analytics.Diagnoses.MainShaft.Bearing.Alarm";

    /// <summary>
    /// The events the scraper stores from both endpoints during those 40 minutes, matching the samples: the lower
    /// thermocouple's OffNormal alarm, the upper one's limit alarm through its whole life, the bearing diagnosis, and the
    /// DMZ lost and back as system events (no condition).
    /// </summary>
    private static List<StoredEvent> Events(DateTime end)
    {
        var events = new List<StoredEvent>();
        var id = 0;
        void Add(string endpoint, DateTime time, string type, string source, string sourceNode, int severity, string message, string? condition, bool? active, bool? acked, bool? confirmed, string? comment = null) =>
            events.Add(new StoredEvent(endpoint, BitConverter.GetBytes(++id), time, time.AddMilliseconds(2), type, sourceNode, source, severity, message, condition,
                active, acked, confirmed, condition is null ? null : active == true || acked == false || confirmed == false, comment));
        const string upper = "ns=2;s=Plant.Temperature.Upper", lower = "ns=2;s=Plant.Temperature.Lower", shaft = "ns=2;s=Analytics.Diagnoses.MainShaft.Bearing";
        Add(Endpoint, end.AddMinutes(-20), "ExclusiveLimitAlarmType", "Upper", upper, 500, "Upper temperature 702.4 above the high limit 700", UpperLimit, true, false, true);
        Add(Endpoint, end.AddMinutes(-19), "ExclusiveLimitAlarmType", "Upper", upper, 500, "Upper temperature 702.4 above the high limit 700", UpperLimit, true, true, false, "burner throttled");
        Add(Endpoint, end.AddMinutes(-15), "ExclusiveLimitAlarmType", "Upper", upper, 500, "Upper temperature 690.2 back within limits", UpperLimit, false, true, false, "burner throttled");
        Add(Endpoint, end.AddMinutes(-14), "ExclusiveLimitAlarmType", "Upper", upper, 500, "Upper temperature 690.2 back within limits", UpperLimit, false, true, true, "checked the burner");
        Add(Endpoint, end.AddMinutes(-12), "SystemEventType", "Server", "i=2253", 300, "The DMZ cannot be reached: sensor values are Bad", null, null, null, null);
        Add(Endpoint, end.AddMinutes(-11), "SystemEventType", "Server", "i=2253", 100, "The DMZ answers again", null, null, null, null);
        Add(AnalyticsEndpoint, end.AddMinutes(-5), "AlarmConditionType", "Bearing", shaft, 500, "Bearing wear on the main shaft: band 3 energy +2.1 dB", BearingDiagnosis, true, false, false);
        Add(AnalyticsEndpoint, end.AddMinutes(-4), "AlarmConditionType", "Bearing", shaft, 500, "Bearing wear on the main shaft: band 3 energy +2.1 dB", BearingDiagnosis, true, true, false, "maintenance booked");
        Add(Endpoint, end.AddSeconds(-89), "OffNormalAlarmType", "Lower", lower, 800, "Lower thermocouple open circuit", LowerOffNormal, true, false, false);
        return events;
    }

    private static IEnumerable<Sample> Samples(DateTime end)
    {
        // Names as the scraper's naming rule makes them from Objects/Plant/...: first level lower-cased, the rest lower-cased.
        TagKey Tag(string path)
        {
            var parts = path.Split('/');
            return new TagKey(Endpoint, "ns=2;s=Plant." + string.Join('.', parts), parts[0].ToLowerInvariant(), string.Join('.', parts[1..]).ToLowerInvariant());
        }
        var upper = Tag("Temperature/Upper");
        var lower = Tag("Temperature/Lower");
        var rpm = Tag("RPM/MainShaft");
        var voltage = Tag("Voltage/MainSupply");
        var level = Tag("Audio/Level");
        var bands = Enumerable.Range(0, 8).Select(i => Tag($"Audio/Spectrum/Band_{i}")).ToArray();
        var mfccs = Enumerable.Range(0, 4).Select(i => Tag($"Audio/MFCC/Coefficient_{i}")).ToArray();
        // The analytics endpoint under Objects with Include Analytics: sensor 'analytics', the rest of the path lower-cased.
        TagKey Result(string path) => new(AnalyticsEndpoint, "ns=2;s=Analytics." + path.Replace('/', '.'), "analytics", path.Replace('/', '.').ToLowerInvariant());
        var scores = new[] { "Temperature/Upper", "Temperature/Lower", "RPM/MainShaft", "Voltage/MainSupply" }.Select(t => Result($"Tags/Plant/{t}/AnomalyScore")).ToArray();
        var bearing = Result("Diagnoses/MainShaft/Bearing/Severity");

        var random = new Random(7);
        double Noise(double size) => (random.NextDouble() - 0.5) * size;
        var seconds = (int)Span.TotalSeconds;
        for (var s = 0; s < seconds; s++)
        {
            var time = end.AddSeconds(s - seconds + 1);
            var age = seconds - 1 - s;
            var phase = s / 300.0;
            yield return new Sample(upper, time, 650 + (40 * Math.Sin(phase)) + Noise(2), 0);
            yield return age < 90
                ? new Sample(lower, time, double.NaN, Bad)
                : new Sample(lower, time, 420 + (25 * Math.Sin(phase)) + Noise(2), 0);
            yield return new Sample(rpm, time, 1480 + (150 * Math.Sin(phase)) + Noise(10), age is >= 1200 and < 1230 ? Uncertain : 0);
            yield return new Sample(voltage, time, 24 + Noise(0.2), 0);
            yield return new Sample(level, time, -32 + Noise(3), 0);
            for (var b = 0; b < bands.Length; b++) yield return new Sample(bands[b], time, -70 + (6 * b) + Noise(4), 0);
            for (var m = 0; m < mfccs.Length; m++) yield return new Sample(mfccs[m], time, (m == 0 ? -200 : 20 / (m + 1.0)) + Noise(1), 0);
            for (var t = 0; t < scores.Length; t++) yield return new Sample(scores[t], time, t == 0 && age is >= 600 and < 660 ? 0.97 : Math.Abs(Noise(0.3)), 0);
            yield return new Sample(bearing, time, age < 300 ? 2 : 0, 0);
        }
    }
}
