using System.Globalization;
using System.Runtime.Versioning;
using Npgsql;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Storage.Schema;
using ThermalPlant.Testing;

namespace ThermalPlant.System.Tests;

/// <summary>
/// An upgrade as docs/upgrading.md tells it (issue 20): the previous release's run directory (<see cref="PreviousRelease"/>)
/// and then today's <c>scripts/up</c> on it, for real on free loopback ports. Nothing of the old directory may be lost
/// or made again: old rows stay and new ones arrive, the schema migrates on its path, the server serves its old history
/// file (to a client and to the scraper's back-fill), the spilled samples are stored, and the server keeps its certificate
/// and the trust given to a client.
/// </summary>
public sealed class UpgradeTests
{
    private static readonly TimeSpan UpTimeout = TimeSpan.FromMinutes(20);
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task Scripts_up_on_the_previous_releases_run_directory_keeps_every_value_file_and_certificate_and_migrates_the_schema()
    {
        PeerPrograms.Require("nginx", "scripts/test installs nginx-light", "/usr/sbin/nginx");
        PeerPrograms.Require("PostgreSQL 15 (initdb)", "scripts/test installs postgresql-15", "/usr/lib/postgresql/15/bin/initdb");

        var runDir = Directory.CreateTempSubdirectory("thermalplant-upgrade-").FullName;
        // Under root the scripts run PostgreSQL as the postgres user, which must reach its cluster inside this dir.
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
        try
        {
            var old = await PreviousRelease.CreateAsync(runDir, ports["PG_PORT"], ports["OPCUA_PORT"]);
            var clusterId = await File.ReadAllTextAsync(Path.Combine(runDir, "postgres", "PG_VERSION"));
            var pfx = Directory.GetFiles(new CertificateStore(old.ServerStore).OwnPrivate);

            var upStarted = DateTime.UtcNow;
            var (exit, output) = await LocalStackTests.RunScriptAsync("up", runDir, environment, UpTimeout);
            Assert.True(exit == 0, $"scripts/up failed ({exit}): {output}{LocalStackTests.Logs(runDir)}");
            Assert.DoesNotContain("creating a local PostgreSQL cluster", output, StringComparison.Ordinal);
            Assert.Equal(clusterId, await File.ReadAllTextAsync(Path.Combine(runDir, "postgres", "PG_VERSION")));

            await using var db = NpgsqlDataSource.Create(old.ConnectionString);
            var upper = PreviousRelease.PlantNode("Plant.Temperature.Upper");
            var voltage = PreviousRelease.PlantNode("Plant.Voltage.MainSupply");
            var spill = Path.Combine(runDir, "data", "scraper", "spill.bin");

            // New rows arrive on the old tag, the gap after the old rows is back-filled from the old history file, and
            // the spilled samples are stored; the spill file goes once it is.
            var until = DateTime.UtcNow + Deadline;
            while (true)
            {
                var fresh = await CountAsync(db, upper, upStarted, DateTime.MaxValue);
                var backfilled = await CountAsync(db, upper, old.StoppedAt.AddMinutes(-10).AddSeconds(1), old.StoppedAt.AddMinutes(-5).AddSeconds(1));
                var spilled = await CountAsync(db, voltage, old.StoppedAt.AddMinutes(-9), old.StoppedAt.AddMinutes(-8).AddSeconds(1));
                if (fresh > 0 && backfilled == 300 && spilled == old.SpilledValues.Count && !File.Exists(spill)) break;
                Assert.True(DateTime.UtcNow < until,
                    $"after {Deadline.TotalMinutes} min: {fresh} new rows, {backfilled} of 300 back-filled, {spilled} of {old.SpilledValues.Count} spilled, spill file there: {File.Exists(spill)}{LocalStackTests.Logs(runDir)}");
                await Task.Delay(1000);
            }

            // The schema: the old release's seven versions as they were, each of today's added, all on the plain path the database began on
            // (today's scripts/up preloads TimescaleDB where it is installed; the recorded path wins).
            await using (var command = db.CreateCommand("SELECT version, path FROM schema_migrations ORDER BY version"))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                var versions = new List<int>();
                while (await reader.ReadAsync())
                {
                    versions.Add(reader.GetInt32(0));
                    Assert.Equal("plain", reader.GetString(1));
                }
                Assert.Equal(MigrationCatalog.For(StoragePath.Plain).Select(m => m.Version), versions);
            }

            // Every old row is there unchanged; the back-filled and spilled rows are the old files' values.
            foreach (var (node, rows) in old.StoredRows)
            {
                Assert.Equal(rows, await RowsAsync(db, node, rows[0].Time, rows[^1].Time));
            }
            Assert.Equal(old.HistoryValues.Where(v => v.Time > old.StoppedAt.AddMinutes(-10)),
                await RowsAsync(db, upper, old.StoppedAt.AddMinutes(-10).AddSeconds(1), old.StoppedAt.AddMinutes(-5)));
            Assert.Equal(old.SpilledValues, await RowsAsync(db, voltage, old.SpilledValues[0].Time, old.SpilledValues[^1].Time));

            // The server kept its certificate: the endpoints carry it, no second one was made, and the client the user
            // trusted under the old release connects over SignAndEncrypt without a new exchange and reads the old history.
            var server = new CertificateStore(old.ServerStore);
            Assert.Equal(pfx, Directory.GetFiles(server.OwnPrivate));
            var url = old.PlantUrl;
            var endpoints = await OpcUaClient.GetEndpointsAsync(url);
            var secured = endpoints.First(e => e.SecurityMode == MessageSecurityMode.SignAndEncrypt && e.SecurityPolicyUri == SecurityPolicyUris.Basic256Sha256);
            using (var presented = ApplicationCertificates.FromByteString(secured.ServerCertificate))
            {
                Assert.Equal(old.ServerThumbprint, presented.Thumbprint);
            }
            var options = new OpcUaClientOptions
            {
                SecurityPolicyUri = SecurityPolicyUris.Basic256Sha256,
                SecurityMode = MessageSecurityMode.SignAndEncrypt,
                CertificateStorePath = old.ClientStore,
                RequestTimeout = TimeSpan.FromSeconds(30),
            };
            await using (var client = await OpcUaClient.ConnectAsync(url, options, sessionName: "upgrade-test"))
            {
                var namespaces = (string[])(await client.ReadValueAsync(NodeId.Of(VariableIds.Server_NamespaceArray))).Value!.Value!;
                Assert.Equal(PreviousRelease.PlantNamespace, Array.IndexOf(namespaces, "urn:thermalplant:plant"));
                var history = await client.HistoryReadRawAsync(NodeId.Parse(upper), old.HistoryValues[0].Time, old.HistoryValues[^1].Time.AddTicks(1));
                Assert.Equal(old.HistoryValues, history.Select(v => (v.SourceTimestamp!.Value, v.Value.TryGetNumber(out var n) ? n : double.NaN)));
            }
            Assert.Empty(Directory.GetFiles(server.RejectedCerts));

            // Up again on the running stack: it names no upgrade, as the stack runs this checkout; a stack built from
            // another commit (a git pull while it ran) is named as such, and still not replaced.
            var builtFrom = Path.Combine(runDir, "built-from");
            var checkout = (await File.ReadAllTextAsync(builtFrom)).Trim();
            var again = await LocalStackTests.RunScriptAsync("up", runDir, environment, UpTimeout);
            Assert.True(again.ExitCode == 0 && again.Output.Contains("already running; scripts/down stops it", StringComparison.Ordinal), $"scripts/up again: {again.Output}");
            await File.WriteAllTextAsync(builtFrom, "528bac0\n");
            var older = await LocalStackTests.RunScriptAsync("up", runDir, environment, UpTimeout);
            Assert.True(older.ExitCode == 0 && older.Output.Contains($"already running, built from 528bac0; this checkout is {checkout}: scripts/down, then scripts/up", StringComparison.Ordinal),
                $"scripts/up on an older running stack: {older.Output}");
        }
        finally
        {
            var down = await LocalStackTests.RunScriptAsync("down", runDir, environment, TimeSpan.FromMinutes(2));
            Directory.Delete(runDir, recursive: true);
            Assert.True(down.ExitCode == 0, $"scripts/down failed ({down.ExitCode}): {down.Output}");
        }
    }

    private static async Task<long> CountAsync(NpgsqlDataSource db, string node, DateTime from, DateTime to)
    {
        try
        {
            await using var command = db.CreateCommand("""
                SELECT count(*) FROM sensor_values v JOIN tags t ON t.id = v.tag_id
                WHERE t.nodeid = $1 AND v.time >= $2 AND v.time < $3
                """);
            command.Parameters.Add(new() { Value = node });
            command.Parameters.Add(new() { Value = from });
            command.Parameters.Add(new() { Value = to == DateTime.MaxValue ? DateTime.UtcNow.AddDays(1) : to });
            return (long)(await command.ExecuteScalarAsync())!;
        }
        catch (NpgsqlException ex) when (ex is not PostgresException)
        {
            // PostgreSQL may still be starting.
            return 0;
        }
    }

    private static async Task<List<(DateTime Time, double Value)>> RowsAsync(NpgsqlDataSource db, string node, DateTime from, DateTime to)
    {
        await using var command = db.CreateCommand("""
            SELECT v.time, v.value FROM sensor_values v JOIN tags t ON t.id = v.tag_id
            WHERE t.nodeid = $1 AND v.time >= $2 AND v.time <= $3 ORDER BY v.time
            """);
        command.Parameters.Add(new() { Value = node });
        command.Parameters.Add(new() { Value = from });
        command.Parameters.Add(new() { Value = to });
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(DateTime, double)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetDateTime(0), reader.GetDouble(1)));
        return rows;
    }
}
