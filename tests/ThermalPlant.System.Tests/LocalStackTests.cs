using System.Globalization;
using System.Runtime.Versioning;
using System.Text.Json;
using Npgsql;
using ThermalPlant.Testing;

namespace ThermalPlant.System.Tests;

/// <summary>
/// <c>scripts/up</c> for real, into a temp dir on free loopback ports: every service it starts, the simulated
/// Power-to-Gas units and the analytics service among them, is a target Debian's Prometheus reports up; <c>scripts/down</c> stops it all.
/// </summary>
public sealed class LocalStackTests
{
    // Publishing four services on a loaded 2-core machine takes minutes; the wait is on the script, not a guess.
    private static readonly TimeSpan UpTimeout = TimeSpan.FromMinutes(20);
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);
    private static readonly string[] Jobs = ["analytics", "bridge", "electrolyzer", "opcserver", "prometheus", "scraper", "sensors"];

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task Scripts_up_starts_the_stack_and_Prometheus_sees_every_target_up()
    {
        PeerPrograms.Require("prometheus", "scripts/test installs it (apt-get install prometheus)", "/usr/bin/prometheus");
        PeerPrograms.Require("nginx", "scripts/test installs nginx-light", "/usr/sbin/nginx");
        PeerPrograms.Require("PostgreSQL 15 (initdb)", "scripts/test installs postgresql-15", "/usr/lib/postgresql/15/bin/initdb");

        var runDir = Directory.CreateTempSubdirectory("thermalplant-up-").FullName;
        // Under root the script runs PostgreSQL as the postgres user, which must reach its cluster inside this dir.
        File.SetUnixFileMode(runDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var ports = new[]
        {
            "SENSORS_PORT", "DMZ_PORT", "OPCUA_PORT", "OPCSERVER_HTTP_PORT", "SCRAPER_HTTP_PORT", "PG_PORT",
            "ELECTROLYZER_HTTP_PORT", "ELECTROLYZER_MODBUS_PORT", "METHANATION_PORT", "PROMETHEUS_PORT", "ANALYTICS_OPCUA_PORT", "ANALYTICS_HTTP_PORT",
            "BRIDGE_HTTP_PORT",
        }.ToDictionary(name => name, _ => PeerPrograms.FreePort(), StringComparer.Ordinal);
        var environment = ports.ToDictionary(p => p.Key, p => p.Value.ToString(CultureInfo.InvariantCulture), StringComparer.Ordinal);
        environment["THERMALPLANT_RUN_DIR"] = runDir;
        environment["OPCUA_LISTEN_ADDRESS"] = "127.0.0.1";
        environment["THERMALPLANT_DB_URL"] = "";
        (int ExitCode, string Output) down;
        try
        {
            var (exit, output) = await RunScriptAsync("up", runDir, environment, UpTimeout);
            Assert.True(exit == 0, $"scripts/up failed ({exit}): {output}{Logs(runDir)}");
            Assert.Contains($"http://127.0.0.1:{ports["PROMETHEUS_PORT"]}/", output, StringComparison.Ordinal);
            Assert.Contains($"modbus 127.0.0.1:{ports["ELECTROLYZER_MODBUS_PORT"]}", output, StringComparison.Ordinal);

            var targets = await WaitForEveryTargetUpAsync(ports["PROMETHEUS_PORT"]);
            Assert.True(Jobs.SequenceEqual(targets.Keys.Order(StringComparer.Ordinal)) && targets.Values.All(h => h == "up"), $"Prometheus targets: {string.Join(", ", targets.Select(t => $"{t.Key}={t.Value}"))}{Logs(runDir)}");

            // The scraper reads the electrolyzer over Modbus and the methanation unit over OPC UA into sensor_data.
            await WaitForStoredAsync(ports["PG_PORT"], "pemel", runDir);
            await WaitForStoredAsync(ports["PG_PORT"], "methanation", runDir);
            // And the analytics service's scores, served on its own endpoint, as sensor 'analytics'.
            await WaitForStoredAsync(ports["PG_PORT"], "analytics", runDir);

            var again = await RunScriptAsync("up", runDir, environment, UpTimeout);
            Assert.True(again.ExitCode == 0 && again.Output.Contains("already running", StringComparison.Ordinal), $"scripts/up again: {again.Output}");
        }
        finally
        {
            down = await RunScriptAsync("down", runDir, environment, TimeSpan.FromMinutes(2));
            Directory.Delete(runDir, recursive: true);
        }
        Assert.True(down.ExitCode == 0, $"scripts/down failed ({down.ExitCode}): {down.Output}");
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Assert.ThrowsAsync<HttpRequestException>(() => probe.GetAsync(new Uri($"http://127.0.0.1:{ports["SENSORS_PORT"]}/health/live")));
    }

    /// <summary>Polls Prometheus's targets API until it lists every job with every target "up"; returns each job's health.</summary>
    private static async Task<Dictionary<string, string>> WaitForEveryTargetUpAsync(int port)
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
        var until = DateTime.UtcNow + Deadline;
        var health = new Dictionary<string, string>(StringComparer.Ordinal);
        while (true)
        {
            health.Clear();
            using (var doc = JsonDocument.Parse(await client.GetStringAsync("api/v1/targets")))
            {
                foreach (var target in doc.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray())
                {
                    var job = target.GetProperty("labels").GetProperty("job").GetString()!;
                    var state = target.GetProperty("health").GetString()!;
                    var error = target.GetProperty("lastError").GetString();
                    health[job] = string.IsNullOrEmpty(error) ? state : $"{state} ({error})";
                }
            }
            if (health.Count == Jobs.Length && health.Values.All(h => h == "up")) return health;
            if (DateTime.UtcNow > until) return health;
            await Task.Delay(500);
        }
    }

    private static async Task WaitForStoredAsync(int port, string sensor, string runDir)
    {
        var connection = $"Host=127.0.0.1;Port={port};Database=thermalplant;Username=thermalplant;Timeout=10";
        var until = DateTime.UtcNow + Deadline;
        while (true)
        {
            try
            {
                await using var db = new NpgsqlConnection(connection);
                await db.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT count(*) FROM sensor_data WHERE sensorname = $1", db) { Parameters = { new() { Value = sensor } } };
                if ((long)(await command.ExecuteScalarAsync())! > 0) return;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                // The scraper migrates the schema in the background.
            }
            Assert.True(DateTime.UtcNow < until, $"no {sensor} values in sensor_data{Logs(runDir)}");
            await Task.Delay(500);
        }
    }

    /// <summary>
    /// Runs scripts/NAME with its output in a file: the services it leaves running must not hold a pipe of ours open,
    /// or waiting for the output's end would wait for them.
    /// </summary>
    internal static async Task<(int ExitCode, string Output)> RunScriptAsync(string name, string runDir, IDictionary<string, string> environment, TimeSpan timeout)
    {
        var log = Path.Combine(runDir, $"scripts-{name}.out");
        var (exit, output) = await ManagedProcess.RunAsync("/bin/bash",
            ["-c", "exec bash \"$0\" >\"$1\" 2>&1", RepositoryPaths.Combine("scripts", name), log], timeout, RepositoryPaths.Root, environment);
        return (exit, output + (File.Exists(log) ? await File.ReadAllTextAsync(log) : ""));
    }

    internal static string Logs(string runDir)
    {
        var logs = Path.Combine(runDir, "logs");
        if (!Directory.Exists(logs)) return "";
        return string.Concat(Directory.GetFiles(logs).Order(StringComparer.Ordinal).Select(file =>
        {
            var text = File.ReadAllText(file);
            return $"\n--- {Path.GetFileName(file)} (last 2000 characters)\n{text[Math.Max(0, text.Length - 2000)..]}";
        }));
    }
}
