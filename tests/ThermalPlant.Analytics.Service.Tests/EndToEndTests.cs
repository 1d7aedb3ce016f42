using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Npgsql;
using ThermalPlant.Analytics.Diagnosis;
using ThermalPlant.Analytics.Service.State;
using ThermalPlant.OpcServer;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Scraper;
using ThermalPlant.Testing;
using Xunit.Abstractions;

namespace ThermalPlant.Analytics.Service.Tests;

/// <summary>
/// The service on the local stack, every part real and on loopback: the sensors service (simulated plant, its own
/// process), Debian's nginx with the repository's DMZ, the OPC UA server, the analytics service, PostgreSQL 15 and the
/// scraper storing the analytics endpoint. Bearing wear injected through the sensors API's fault injection must be
/// diagnosed on the analytics endpoint, stored in <c>sensor_data</c>, and shown in <c>/metrics</c>.
/// </summary>
[Collection(AnalyticsHostCollection.Name)]
public sealed partial class EndToEndTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Bearing_wear_injected_in_the_plant_is_diagnosed_on_the_analytics_endpoint_in_sensor_data_and_in_metrics()
    {
        using var directory = new TempDirectory("thermalplant-analytics-e2e-");
        await using var postgres = await PostgresServer.StartAsync();
        Assert.True(postgres is not null, "PostgreSQL 15 is needed (scripts/test installs postgresql-15)");
        var database = await postgres.CreateDatabaseAsync();

        var sensorsPort = PeerPrograms.FreePort();
        await using var sensors = ManagedProcess.Start("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "ThermalPlant.Sensors.dll"), $"--urls=http://127.0.0.1:{sensorsPort}", "--Serilog:MinimumLevel:Default=Warning"],
            workingDirectory: directory.Path);
        var sensorsUri = new Uri($"http://127.0.0.1:{sensorsPort}/");
        await HttpWait.UntilOkAsync(new Uri(sensorsUri, "health/ready"), Deadline, () => sensors.Output);
        await using var dmz = await DmzNginx.StartAsync(sensorsUri);
        Assert.True(dmz is not null, "nginx is needed (scripts/test installs nginx-light)");

        var (opcPort, opcHttp) = (PeerPrograms.FreePort(), PeerPrograms.FreePort());
        await using var opcServer = await StartAsync(OpcServerHost.Create(
        [
            $"--urls=http://127.0.0.1:{opcHttp}", "--Serilog:MinimumLevel:Default=Warning",
            $"--OpcServer:DmzUrl={dmz.Address}", "--OpcServer:ListenAddress=127.0.0.1", "--OpcServer:HostName=127.0.0.1", $"--OpcServer:Port={opcPort}",
            "--OpcServer:PollInterval=00:00:00.200", $"--OpcServer:HistoryPath={Path.Combine(directory.Path, "history.bin")}",
            $"--OpcServer:EventHistoryPath={Path.Combine(directory.Path, "events.bin")}",
            $"--OpcServer:CertificateStorePath={Path.Combine(directory.Path, "opcserver-pki")}",
        ]), new Uri($"http://127.0.0.1:{opcHttp}/health/ready"));

        var (analyticsPort, analyticsHttp) = (PeerPrograms.FreePort(), PeerPrograms.FreePort());
        var statePath = Path.Combine(directory.Path, "analytics-state.bin");
        var voltageState = NodeId.Parse("ns=2;s=Analytics.Tags.Plant.Voltage.MainSupply.State");
        var analyticsUrl = $"opc.tcp://127.0.0.1:{analyticsPort}/thermalplant/analytics/";
        // Short learning: detectors score after 20 samples, the bearing's baseline after 10 spectra in a 10 % speed bin,
        // and a rise counts after 2 s; the wear below grows 10 % of the shaft tone per 3.6 s.
        string[] AnalyticsSettings(int port, int httpPort) =>
        [
            $"--urls=http://127.0.0.1:{httpPort}", "--Serilog:MinimumLevel:Default=Warning",
            $"--Analytics:Sources:0:Url=opc.tcp://127.0.0.1:{opcPort}/freeopcua/server/", "--Analytics:Sources:0:PublishingInterval=00:00:00.200",
            "--Analytics:ListenAddress=127.0.0.1", "--Analytics:HostName=127.0.0.1", $"--Analytics:Port={port}",
            $"--Analytics:StatePath={statePath}", $"--Analytics:CertificateStorePath={Path.Combine(directory.Path, "analytics-pki")}",
            $"--Analytics:HistoryPath={Path.Combine(directory.Path, "analytics-history.bin")}",
            "--Analytics:Detector:LearningSamples=20",
            "--Analytics:Diagnosis:Bearing:MinSamplesPerBin=10", "--Analytics:Diagnosis:Bearing:SpeedBinPercent=10",
            "--Analytics:Diagnosis:Bearing:PersistSeconds=2", "--Analytics:Diagnosis:Bearing:SmoothingSeconds=2", "--Analytics:Diagnosis:Bearing:TrendSeconds=60",
        ];
        var analytics = await StartAsync(AnalyticsHost.Create(AnalyticsSettings(analyticsPort, analyticsHttp)), new Uri($"http://127.0.0.1:{analyticsHttp}/health/ready"));
        var analyticsStopped = false;
        try
        {
            var scraperHttp = PeerPrograms.FreePort();
            await using var scraper = await StartAsync(ScraperHost.Create(
            [
                $"--urls=http://127.0.0.1:{scraperHttp}", "--Serilog:MinimumLevel:Default=Warning",
                $"--Scraper:Database:ConnectionString={database}", $"--Scraper:Storage:DataDirectory={Path.Combine(directory.Path, "scraper")}",
                $"--Scraper:OpcUa:Endpoints:0:Url={analyticsUrl}", "--Scraper:OpcUa:Endpoints:0:Root=Objects", "--Scraper:OpcUa:Endpoints:0:Include:0=Analytics",
                "--Scraper:OpcUa:Endpoints:0:PublishingInterval=00:00:00.200",
            ]), new Uri($"http://127.0.0.1:{scraperHttp}/health/live"));

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var metricsUri = new Uri($"http://127.0.0.1:{analyticsHttp}/metrics");
            await using var client = await OpcUaClient.ConnectAsync(analyticsUrl);
            await client.OpenSessionAsync("analytics-e2e");
            var faultType = NodeId.Parse("ns=2;s=Analytics.Diagnoses.MainShaft.Bearing.FaultType");
            var severity = NodeId.Parse("ns=2;s=Analytics.Diagnoses.MainShaft.Bearing.Severity");
            var evidence = NodeId.Parse("ns=2;s=Analytics.Diagnoses.MainShaft.Bearing.Evidence");

            // The bearing's baseline is learned (its rise is a number) and the bearing is healthy before the fault.
            var learning = Stopwatch.StartNew();
            await WaitForAsync(async () => double.IsFinite(Value(await http.GetStringAsync(metricsUri), "thermalplant_analytics_bearing_rise_db", "")), "the bearing's baseline to be learned", () => sensors.Output);
            output.WriteLine($"bearing baseline learned {learning.Elapsed.TotalSeconds:F1} s after the stack was up");
            Assert.Equal(PlantFaultTypes.None, (await client.ReadValueAsync(faultType)).Value.Value);
            Assert.Equal(0, (await client.ReadValueAsync(severity)).Value.Value);

            using (var injected = await http.PostAsJsonAsync(new Uri(sensorsUri, "simulation/faults"), new { type = "bearing_wear", harmonics = new[] { 3.6, 5.4 }, growth_per_hour = 1000 }))
            {
                Assert.True(injected.IsSuccessStatusCode, await injected.Content.ReadAsStringAsync());
            }
            var diagnosing = Stopwatch.StartNew();

            // On the analytics endpoint: the fault type, a severity, the evidence.
            await WaitForAsync(async () => Equals((await client.ReadValueAsync(faultType)).Value.Value, PlantFaultTypes.BearingWear) && (int)(await client.ReadValueAsync(severity)).Value.Value! >= (int)FaultSeverity.Advisory,
                "bearing_wear on the analytics endpoint", () => sensors.Output);
            output.WriteLine($"bearing wear diagnosed {diagnosing.Elapsed.TotalSeconds:F1} s after the injection: {(await client.ReadValueAsync(evidence)).Value.Value}");
            var text = (string)(await client.ReadValueAsync(evidence)).Value.Value!;
            Assert.Contains("dB", text, StringComparison.Ordinal);

            // In sensor_data, where the scraper stores the analytics endpoint as sensor 'analytics'.
            await using var db = NpgsqlDataSource.Create(database);
            await WaitForAsync(async () =>
            {
                try
                {
                    await using var command = db.CreateCommand("SELECT max(value) FROM sensor_data WHERE sensorname = 'analytics' AND tagname = 'diagnoses.mainshaft.bearing.severity'");
                    return await command.ExecuteScalarAsync() is double stored && stored >= (int)FaultSeverity.Advisory;
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
                {
                    return false;
                }
            }, "the bearing's severity in sensor_data", () => "");
            await using (var scores = db.CreateCommand("SELECT count(*) FROM sensor_data WHERE sensorname = 'analytics' AND tagname = 'tags.plant.voltage.mainsupply.anomalyscore' AND value BETWEEN 0 AND 1"))
            {
                Assert.True((long)(await scores.ExecuteScalarAsync())! > 0, "no anomaly scores of the supply voltage in sensor_data");
            }

            // In /metrics: the severity series, the evidence, and the samples scored with their cost.
            var metrics = await http.GetStringAsync(metricsUri);
            Assert.True(Value(metrics, "thermalplant_analytics_diagnosis_severity", "component=\"MainShaft.Bearing\",fault_type=\"bearing_wear\"") >= 1, metrics);
            Assert.Matches("thermalplant_analytics_diagnosis_info\\{component=\"MainShaft.Bearing\",fault_type=\"bearing_wear\",evidence=\"[^\"]*dB", metrics);
            Assert.True(Value(metrics, "thermalplant_analytics_diagnoses_total", "component=\"MainShaft.Bearing\",fault_type=\"bearing_wear\"") >= 1, metrics);
            // By this test's endpoint: the metrics are process-wide, and another test's service may have scored samples too.
            var scored = Value(metrics, "thermalplant_analytics_samples_scored_total", $"endpoint=\"opc.tcp://127.0.0.1:{opcPort}/freeopcua/server/\"");
            var cost = Value(metrics, "thermalplant_analytics_cost_seconds_total", "stage=\"detectors\"");
            Assert.True(scored > 100, metrics);
            Assert.True(cost > 0, metrics);
            output.WriteLine($"{scored} samples scored, {cost / scored * 1e6:F2} us of detector time per sample (includes the first calls' JIT)");
            Assert.True(Value(metrics, "thermalplant_analytics_tags", "state=\"normal\"") + Value(metrics, "thermalplant_analytics_tags", "state=\"anomalous\"") > 0, metrics);
            MetricConvention.AssertFollowed(metrics);

            // The restart below checks that a learned detector is not relearned, so the supply voltage must be past
            // its learning samples before the stop; on a loaded machine the diagnosis can come first.
            await WaitForAsync(async () => (await client.ReadValueAsync(voltageState)).Value.Value is int state && state != (int)AnomalyState.Learning,
                "the supply voltage's detector past learning before the stop", () => "");
        }
        finally
        {
            await analytics.StopAsync();
            await analytics.DisposeAsync();
            analyticsStopped = true;
        }

        // Stopping wrote the state file: every tag's detector and the plant diagnoser, for the next start.
        Assert.True(analyticsStopped);
        var saved = StateFile.Load(statePath);
        Assert.Contains("Plant/Voltage/MainSupply", saved.Detectors.Keys);
        Assert.Contains("Plant/Audio/Spectrum/Band_0", saved.Detectors.Keys);
        Assert.Contains(Engine.AnalyticsEngine.PlantDiagnoserName, saved.Diagnosers.Keys);

        // Started again on that file, it does not relearn: a tag's first served state is not "learning" (a new detector
        // would learn for 20 samples, 10 s of the supply voltage).
        var (againPort, againHttp) = (PeerPrograms.FreePort(), PeerPrograms.FreePort());
        await using var again = await StartAsync(AnalyticsHost.Create(AnalyticsSettings(againPort, againHttp)), new Uri($"http://127.0.0.1:{againHttp}/health/ready"));
        await using var reader = await OpcUaClient.ConnectAsync($"opc.tcp://127.0.0.1:{againPort}/thermalplant/analytics/");
        await reader.OpenSessionAsync("analytics-e2e-restart");
        DataValue first = default;
        await WaitForAsync(async () => (first = await reader.ReadValueAsync(voltageState)).Status.IsGood, "a state of the supply voltage after the restart", () => "");
        Assert.NotEqual((int)AnomalyState.Learning, first.Value.Value);
    }

    private static async Task<WebApplication> StartAsync(WebApplication app, Uri ready)
    {
        await app.StartAsync();
        await HttpWait.UntilOkAsync(ready, Deadline);
        return app;
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what, Func<string> diagnostics)
    {
        var until = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, $"no {what} within {Deadline.TotalSeconds} s. {diagnostics()}");
            await Task.Delay(250);
        }
    }

    /// <summary>The value of the series <paramref name="name"/> whose labels start with <paramref name="labels"/> (NaN when absent).</summary>
    private static double Value(string metrics, string name, string labels)
    {
        foreach (Match match in SeriesLine().Matches(metrics))
        {
            if (match.Groups["name"].Value != name || !match.Groups["labels"].Value.StartsWith(labels, StringComparison.Ordinal)) continue;
            return double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
        }
        return double.NaN;
    }

    [GeneratedRegex(@"^(?<name>[a-z_]+)(\{(?<labels>[^}]*)\})? (?<value>\S+)$", RegexOptions.Multiline)]
    private static partial Regex SeriesLine();
}
