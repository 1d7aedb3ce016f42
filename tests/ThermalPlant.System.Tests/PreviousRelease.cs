using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Npgsql;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.Storage.Schema;
using ThermalPlant.Storage.Writing;
using ThermalPlant.Testing;

namespace ThermalPlant.System.Tests;

/// <summary>
/// The run directory (<c>THERMALPLANT_RUN_DIR</c>) that the release of 2026-11-30 (CHANGELOG.md: commit 528bac0) left
/// after <c>scripts/up</c>, some hours of running and <c>scripts/down</c>, written as that release wrote it: its PostgreSQL
/// cluster made by that release's initdb and start options, migrated with the seven migrations it had (plain path: it
/// never preloaded TimescaleDB) and holding rows; the OPC UA server's value history file and certificate store; and the
/// scraper's spill file with samples the database had not taken when it stopped. The history and spill files are written
/// by small writers that follow the old release's formats byte for byte, not by today's classes, so a format change today shows;
/// the schema by the old release's migrator's steps with its scripts, and the certificate stores by the store class, which is
/// the old release's unchanged.
/// </summary>
internal sealed class PreviousRelease
{
    /// <summary>The newest migration the old release carried.</summary>
    public const int NewestMigration = 7;

    /// <summary>The old release served the plant namespace at index 2 (after the standard namespace and the server's own URI).</summary>
    public const ushort PlantNamespace = 2;

    private readonly string _runDir;
    private readonly int _pgPort;
    private readonly string _plantUrl;

    private PreviousRelease(string runDir, int pgPort, int opcUaPort, DateTime stoppedAt)
    {
        _runDir = runDir;
        _pgPort = pgPort;
        _plantUrl = $"opc.tcp://127.0.0.1:{opcUaPort}/freeopcua/server/";
        StoppedAt = stoppedAt;
    }

    /// <summary>When the old stack stopped: every old value is before it.</summary>
    public DateTime StoppedAt { get; }

    /// <summary>The endpoint URL the old scraper stored the plant's tags under (scripts/up's, unchanged today).</summary>
    public string PlantUrl => _plantUrl;

    /// <summary>Rows the old database holds, per node id (20 to 10 minutes before the stop, every second).</summary>
    public Dictionary<string, List<(DateTime Time, double Value)>> StoredRows { get; } = new(StringComparer.Ordinal);

    /// <summary>What the old server's history file holds for the upper temperature (20 to 5 minutes before the stop).</summary>
    public List<(DateTime Time, double Value)> HistoryValues { get; } = [];

    /// <summary>Samples of the supply voltage in the old scraper's spill file, never stored.</summary>
    public List<(DateTime Time, double Value)> SpilledValues { get; } = [];

    /// <summary>The old server's certificate thumbprint.</summary>
    public string ServerThumbprint { get; private set; } = "";

    /// <summary>The OPC UA server's certificate store under scripts/up: data/pki in the server's working directory.</summary>
    public string ServerStore => Path.Combine(_runDir, "opcserver", "data", "pki");

    /// <summary>A client's store whose certificate the old server was told to trust, and which trusts the old server.</summary>
    public string ClientStore => Path.Combine(_runDir, "test-client-pki");

    /// <summary>The database's connection string, as scripts/up builds it.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={_pgPort};Database=thermalplant;Username=thermalplant;Timeout=10";

    /// <summary>The node id string the old release kept for a plant variable.</summary>
    public static string PlantNode(string path) => $"ns={PlantNamespace};s={path}";

    /// <summary>Writes the run directory; the cluster is stopped again at the end, as scripts/down left it.</summary>
    public static async Task<PreviousRelease> CreateAsync(string runDir, int pgPort, int opcUaPort)
    {
        // Ten seconds back, whole seconds: the values fall on the second as the simulated plant's do.
        var now = DateTime.UtcNow;
        var release = new PreviousRelease(runDir, pgPort, opcUaPort, new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc).AddSeconds(-10));
        await release.WriteDatabaseAsync();
        release.WriteHistoryFile();
        release.WriteSpillFile();
        release.WriteCertificateStores();
        return release;
    }

    private async Task WriteDatabaseAsync()
    {
        // The old release's scripts/up, verbatim in what it ran: initdb as postgres when root, its start options (no TimescaleDB
        // preload), createdb.
        const string OldClusterScript = """
            set -euo pipefail
            pg_bin=/usr/lib/postgresql/15/bin
            as_pg=()
            if [ "$(id -u)" = 0 ]; then as_pg=(runuser -u postgres --); fi
            mkdir -p "$RUN_DIR/postgres" "$RUN_DIR/logs" "$RUN_DIR/pgsocket"
            [ "$(id -u)" = 0 ] && chown postgres "$RUN_DIR/postgres" && chmod 700 "$RUN_DIR/postgres"
            "${as_pg[@]}" "$pg_bin/initdb" -D "$RUN_DIR/postgres" -U thermalplant --auth=trust -E UTF8 >"$RUN_DIR/logs/initdb.log" 2>&1
            [ "$(id -u)" = 0 ] && chown postgres "$RUN_DIR/pgsocket" "$RUN_DIR/logs" 2>/dev/null || true
            "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$RUN_DIR/postgres" -l "$RUN_DIR/logs/postgres.log" -w \
              -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$RUN_DIR/pgsocket" start >/dev/null
            "${as_pg[@]}" "$pg_bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U thermalplant thermalplant
            """;
        var environment = new Dictionary<string, string> { ["RUN_DIR"] = _runDir, ["PG_PORT"] = _pgPort.ToString(CultureInfo.InvariantCulture) };
        var (exit, output) = await ManagedProcess.RunAsync("/bin/bash", ["-c", OldClusterScript], TimeSpan.FromMinutes(2), _runDir, environment);
        Assert.True(exit == 0, $"the old release's cluster set-up failed: {output}");
        try
        {
            await using var db = NpgsqlDataSource.Create(ConnectionString);
            await ApplyOldMigrationsAsync(db);
            var writer = new SampleWriter(db, StoragePath.Plain);
            foreach (var (path, sensor, tag, baseValue) in new[] { ("Plant.Temperature.Upper", "Temperature", "Upper", 100.0), ("Plant.RPM.MainShaft", "RPM", "MainShaft", 1000.0) })
            {
                var key = new TagKey(_plantUrl, PlantNode(path), sensor, tag);
                var rows = Enumerable.Range(0, 601).Select(i => (Time: StoppedAt.AddMinutes(-20).AddSeconds(i), Value: baseValue + (i * 0.25))).ToList();
                StoredRows[key.NodeId] = rows;
                await writer.WriteAsync(rows.Select(r => new Sample(key, r.Time, r.Value, 0)).ToArray(), CancellationToken.None);
            }
        }
        finally
        {
            var (stopExit, stopOutput) = await ManagedProcess.RunAsync("/bin/bash",
                ["-c", "as_pg=(); if [ \"$(id -u)\" = 0 ]; then as_pg=(runuser -u postgres --); fi; \"${as_pg[@]}\" /usr/lib/postgresql/15/bin/pg_ctl -D \"$RUN_DIR/postgres\" -m fast -w stop"],
                TimeSpan.FromMinutes(1), _runDir, environment);
            Assert.True(stopExit == 0, $"stopping the old cluster failed: {stopOutput}");
        }
    }

    /// <summary>The schema as the old release's migrator left it: its history table and versions 1 to 7 of the plain path.</summary>
    private static async Task ApplyOldMigrationsAsync(NpgsqlDataSource db)
    {
        await using var connection = await db.OpenConnectionAsync();
        await using (var create = new NpgsqlCommand("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version     integer PRIMARY KEY,
                name        text NOT NULL,
                path        text NOT NULL,
                checksum    text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            )
            """, connection))
        {
            await create.ExecuteNonQueryAsync();
        }
        // Today's scripts 1 to 7 are the old release's unchanged (the checksums today's migrator verifies say so).
        foreach (var migration in MigrationCatalog.For(StoragePath.Plain).Where(m => m.Version <= NewestMigration))
        {
            await using var transaction = await connection.BeginTransactionAsync();
            if (migration.Sql.Length > 0)
            {
                await using var script = new NpgsqlCommand(migration.Sql, connection, transaction);
                await script.ExecuteNonQueryAsync();
            }
            await using var record = new NpgsqlCommand("INSERT INTO schema_migrations (version, name, path, checksum) VALUES ($1, $2, 'plain', $3)", connection, transaction)
            {
                Parameters = { new() { Value = migration.Version }, new() { Value = migration.Name }, new() { Value = migration.Checksum } },
            };
            await record.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
        }
    }

    /// <summary>
    /// The old release's FileHistoryStore records: the node id's UTF-8 length (uint16 LE) and text, UTC ticks (int64 LE), status
    /// (uint32 LE), a has-value byte and the value (double LE). Written where scripts/up points OpcServer:HistoryPath.
    /// </summary>
    private void WriteHistoryFile()
    {
        var directory = Directory.CreateDirectory(Path.Combine(_runDir, "data")).FullName;
        var name = Encoding.UTF8.GetBytes(PlantNode("Plant.Temperature.Upper"));
        using var file = new FileStream(Path.Combine(directory, "opcserver-history.bin"), FileMode.CreateNew);
        var record = new byte[2 + name.Length + 21];
        for (var i = 0; i <= 900; i++)
        {
            var (time, value) = (StoppedAt.AddMinutes(-20).AddSeconds(i), 100.0 + (i * 0.25));
            HistoryValues.Add((time, value));
            BinaryPrimitives.WriteUInt16LittleEndian(record, (ushort)name.Length);
            name.CopyTo(record, 2);
            var body = record.AsSpan(2 + name.Length);
            BinaryPrimitives.WriteInt64LittleEndian(body, time.Ticks);
            BinaryPrimitives.WriteUInt32LittleEndian(body[8..], 0);
            body[12] = 1;
            BinaryPrimitives.WriteDoubleLittleEndian(body[13..], value);
            file.Write(record);
        }
    }

    /// <summary>
    /// The old release's scraper spill file (<c>TPSPILL1</c>, BinaryWriter records: 'T', int32 id, endpoint, node id, sensor and tag
    /// names as length-prefixed UTF-8; 'S', int32 id, int64 UTC ticks, double value, uint32 status) with its lock file,
    /// in the data directory scripts/up gives it; no spill.pos, so nothing of it was stored.
    /// </summary>
    private void WriteSpillFile()
    {
        var directory = Directory.CreateDirectory(Path.Combine(_runDir, "data", "scraper")).FullName;
        File.WriteAllBytes(Path.Combine(directory, "scraper.lock"), []);
        using var file = new FileStream(Path.Combine(directory, "spill.bin"), FileMode.CreateNew);
        using var writer = new BinaryWriter(file, Encoding.UTF8);
        writer.Write("TPSPILL1"u8);
        writer.Write((byte)'T');
        writer.Write(0);
        writer.Write(_plantUrl);
        writer.Write(PlantNode("Plant.Voltage.MainSupply"));
        writer.Write("Voltage");
        writer.Write("MainSupply");
        for (var i = 0; i <= 60; i++)
        {
            var (time, value) = (StoppedAt.AddMinutes(-9).AddSeconds(i), 20.0 + (i * 0.01));
            SpilledValues.Add((time, value));
            writer.Write((byte)'S');
            writer.Write(0);
            writer.Write(time.Ticks);
            writer.Write(value);
            writer.Write(0u);
        }
    }

    /// <summary>
    /// The server's store as the old release made it on first start (own/certs, own/private/THUMBPRINT.pfx: a self-signed
    /// certificate for urn:thermalplant:opcserver and this host's names), with a client's certificate the user trusted
    /// (trusted/certs); the client's store trusts the server's certificate.
    /// </summary>
    private void WriteCertificateStores()
    {
        var lifetime = TimeSpan.FromDays(5 * 365);
        var server = new CertificateStore(ServerStore);
        using var serverCertificate = server.LoadOrCreateApplicationCertificate("urn:thermalplant:opcserver", "Thermal Plant OPC UA Server",
            ApplicationCertificates.LocalHostNames(), TimeProvider.System, lifetime);
        ServerThumbprint = serverCertificate.Thumbprint;
        var client = new CertificateStore(ClientStore);
        using var clientCertificate = client.LoadOrCreateApplicationCertificate("urn:thermalplant:client", "Thermal Plant OPC UA Client",
            ApplicationCertificates.LocalHostNames(), TimeProvider.System, lifetime);
        using var clientPublic = X509CertificateLoader.LoadCertificate(clientCertificate.RawData);
        server.AddTrusted(clientPublic);
        using var serverPublic = X509CertificateLoader.LoadCertificate(serverCertificate.RawData);
        client.AddTrusted(serverPublic);
    }
}
