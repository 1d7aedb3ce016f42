using System.Globalization;
using System.Net;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using ThermalPlant.Electrolyzer.Simulation;
using ThermalPlant.Modbus.Server;
using ThermalPlant.PowerToGas;
using ThermalPlant.PowerToGas.Calibration;
using ThermalPlant.Scraper.Supervision;
using ThermalPlant.Testing;

namespace ThermalPlant.Scraper.Tests;

/// <summary>The optional wide-row sink against real PostgreSQL, fed by the simulated methanation unit (OPC UA) and electrolyzer (Modbus).</summary>
[Collection(PostgresCollection.Name)]
public sealed class WideRowTests(PostgresFixture postgres) : IDisposable
{
    // A name that needs quoting (capitals, a space, a double quote): configuration is never SQL.
    private const string Table = "PEMEL \"log\"";
    private const string QuotedTable = "\"PEMEL \"\"log\"\"\"";
    private static readonly string CalibrationFile = RepositoryPaths.Combine("src", "ThermalPlant.Electrolyzer", "Calibration", "pemel-calibration.txt");
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _data = new("thermalplant-scraper-");

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task Each_cycle_writes_one_wide_row_and_a_Modbus_failure_stores_NULLs_instead_of_dropping_the_row()
    {
        var table = await CalibrationTable.LoadAsync(CalibrationFile);
        var simulator = new PemelSimulator(new ElectrolyzerOptions(), table, new ModbusDataStore(), TimeProvider.System);
        simulator.Update();
        var modbus = new ModbusTcpServer(simulator.Store, new ModbusServerOptions { Address = IPAddress.Loopback, Port = PeerPrograms.FreePort() });
        modbus.Start();
        var modbusStopped = false;
        try
        {
            await WriteRowsThenLoseModbusAsync(modbus, () => modbusStopped = true);
        }
        finally
        {
            if (!modbusStopped) await modbus.DisposeAsync();
        }
    }

    private async Task WriteRowsThenLoseModbusAsync(ModbusTcpServer modbus, Action stopped)
    {
        var database = await postgres.Server.CreateDatabaseAsync();
        await using var methanation = new MethanationUnit(new MethanationOptions { Address = "127.0.0.1", Port = PeerPrograms.FreePort(), HostName = "127.0.0.1", InitialRequest = 7.5 }, TimeProvider.System);
        methanation.Start();
        await using var scraper = await ScraperRun.StartAsync(database, _data.Path, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["OpcUa:Endpoints:0:Url"] = methanation.EndpointUrl,
            ["OpcUa:Endpoints:0:Root"] = "Objects",
            ["OpcUa:Endpoints:0:Include:0"] = "Methanation",
            ["OpcUa:Endpoints:0:Mode"] = "Poll",
            ["OpcUa:Endpoints:0:PollInterval"] = "00:00:00.300",
            ["Modbus:Devices:0:Name"] = "pemel",
            ["Modbus:Devices:0:Port"] = modbus.Port.ToString(CultureInfo.InvariantCulture),
            ["Modbus:Devices:0:Pemel"] = "true",
            ["Modbus:Devices:0:PollInterval"] = "00:00:00.300",
            ["WideRow:Table"] = Table,
            ["WideRow:CreateTable"] = "true",
            ["WideRow:Interval"] = "00:00:00.500",
            ["WideRow:Columns:0:Name"] = "h2_flow_request",
            ["WideRow:Columns:0:NodeId"] = MethanationUnit.RequestNodeId,
            ["WideRow:PemelDevice"] = "pemel",
        });

        // The seed's layout: timestamp, the OPC UA value, the 16 status flags, the 14 process values.
        await Stored.EventuallyAsync(async () => await CountAsync(database,
                $"SELECT count(*) FROM {QuotedTable} WHERE h2_flow_request = 7.5 AND mode_automatic = 1 AND h2_cooler_temperature IS NOT NULL") > 0,
            Deadline, () => DescribeAsync(database));
        var columns = await ColumnsAsync(database);
        Assert.Equal(1 + 1 + PemelRegisterMap.StatusFlags.Count + PemelRegisterMap.ProcessValues.Count, columns.Count);
        Assert.Equal(["timestamp", "h2_flow_request", .. PemelRegisterMap.StatusFlags, .. PemelRegisterMap.ProcessValues.Select(v => v.Name)], columns);
        // Next to sensor_data, not instead of it.
        Assert.True(await CountAsync(database, "SELECT count(*) FROM sensor_data WHERE sensorname = 'pemel' AND tagname = 'h2_cooler_temperature'") > 0);

        await modbus.DisposeAsync();
        stopped();
        var lost = DateTime.UtcNow;
        // Every PEMEL column NULL, the OPC UA value still there: the row is stored, not dropped.
        var pemelColumnsNull = string.Join(" AND ", columns.Skip(2).Select(c => $"\"{c}\" IS NULL"));
        await Stored.EventuallyAsync(async () => await CountAsync(database,
                $"SELECT count(*) FROM {QuotedTable} WHERE timestamp > '{lost:O}' AND h2_flow_request = 7.5 AND {pemelColumnsNull}") >= 2,
            Deadline, () => DescribeAsync(database));
        var perCycle = await CountAsync(database, $"SELECT count(*) - count(DISTINCT timestamp) FROM {QuotedTable}");
        Assert.Equal(0, perCycle);
    }

    [Fact]
    public async Task An_existing_table_missing_a_column_is_reported_and_written_once_the_column_is_added()
    {
        var database = await postgres.Server.CreateDatabaseAsync();
        await using (var connection = new NpgsqlConnection(database))
        {
            // The seed's users bring their own table: a timestamp without time zone, a boolean flag, no "power" yet.
            // A session time zone far from UTC shows whether the timestamp is stored as UTC wall time.
            await connection.ExecuteAsync($"""
                CREATE TABLE wide_log ("Time" timestamp without time zone NOT NULL, flow real, automatic boolean);
                ALTER DATABASE "{new NpgsqlConnectionStringBuilder(database).Database}" SET timezone = 'America/New_York';
                """);
        }
        var table = await CalibrationTable.LoadAsync(CalibrationFile);
        var simulator = new PemelSimulator(new ElectrolyzerOptions(), table, new ModbusDataStore(), TimeProvider.System);
        simulator.Update();
        await using var modbus = new ModbusTcpServer(simulator.Store, new ModbusServerOptions { Address = IPAddress.Loopback, Port = PeerPrograms.FreePort() });
        modbus.Start();
        await using var scraper = await ScraperRun.StartAsync(database, _data.Path, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Modbus:Devices:0:Name"] = "pemel",
            ["Modbus:Devices:0:Port"] = modbus.Port.ToString(CultureInfo.InvariantCulture),
            ["Modbus:Devices:0:Pemel"] = "true",
            ["Modbus:Devices:0:PollInterval"] = "00:00:00.300",
            ["WideRow:Table"] = "wide_log",
            ["WideRow:TimestampColumn"] = "Time",
            ["WideRow:Interval"] = "00:00:00.500",
            ["WideRow:Columns:0:Name"] = "flow",
            ["WideRow:Columns:0:Sensor"] = "pemel",
            ["WideRow:Columns:0:Tag"] = "h2_cooler_temperature",
            ["WideRow:Columns:1:Name"] = "automatic",
            ["WideRow:Columns:1:Sensor"] = "pemel",
            ["WideRow:Columns:1:Tag"] = "status.mode_automatic",
            ["WideRow:Columns:2:Name"] = "power",
            ["WideRow:Columns:2:Sensor"] = "pemel",
            ["WideRow:Columns:2:Tag"] = "power",
        });

        var sources = scraper.Services.GetRequiredService<SourceHealth>();
        var until = DateTime.UtcNow + Deadline;
        string health;
        while (!(health = await ProblemsAsync(sources)).Contains("no column \"power\"", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < until, $"the missing column was not reported: {health}");
            await Task.Delay(200);
        }
        Assert.Equal(0, await CountAsync(database, "SELECT count(*) FROM wide_log"));

        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.ExecuteAsync("ALTER TABLE wide_log ADD COLUMN power double precision");
        }
        // The writer prepares the table again after its backoff (at most 30 s) and writes the rows it kept meanwhile.
        await Stored.EventuallyAsync(async () => await CountAsync(database, "SELECT count(*) FROM wide_log WHERE automatic AND flow IS NOT NULL AND power IS NOT NULL") > 0,
            Deadline, () => Task.FromResult(health));
        await using (var connection = new NpgsqlConnection(database))
        {
            var newest = await connection.ExecuteScalarAsync<DateTime>("SELECT max(\"Time\") FROM wide_log");
            Assert.True(Math.Abs((newest - DateTime.UtcNow).TotalMinutes) < 5, $"the newest row's time {newest:O} is not UTC wall time (now {DateTime.UtcNow:O})");
        }
    }

    [Fact]
    public async Task Wide_row_configuration_errors_name_their_keys()
    {
        var app = ScraperHost.Create(
        [
            "--urls=http://127.0.0.1:0",
            "--Scraper:Database:ConnectionString=Host=127.0.0.1",
            "--Scraper:OpcUa:Endpoints:0:Url=opc.tcp://127.0.0.1:4840/",
            "--Scraper:WideRow:Table=pemel_log",
            "--Scraper:WideRow:Interval=00:00:00",
            "--Scraper:WideRow:Columns:0:Name=timestamp",
            "--Scraper:WideRow:Columns:0:NodeId=ns=2;s=A",
            "--Scraper:WideRow:Columns:1:Name=b",
            "--Scraper:WideRow:Columns:1:Sensor=pemel",
        ]);
        var failure = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => app.StartAsync());
        var messages = string.Join(Environment.NewLine, failure.Failures);
        Assert.Contains("Scraper:WideRow:Interval must be between", messages, StringComparison.Ordinal);
        Assert.Contains("Scraper:WideRow:Columns:0:Name 'timestamp' is used by another column", messages, StringComparison.Ordinal);
        Assert.Contains("Scraper:WideRow:Columns:1 needs Sensor and Tag", messages, StringComparison.Ordinal);
        await app.DisposeAsync();
    }

    private static async Task<string> ProblemsAsync(SourceHealth health)
    {
        var result = await health.CheckHealthAsync(new HealthCheckContext());
        return string.Join("; ", result.Data.Select(d => $"{d.Key}: {d.Value}"));
    }

    private static async Task<long> CountAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        return await connection.ExecuteScalarAsync<long>(sql);
    }

    private static async Task<List<string>> ColumnsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        return [.. await connection.QueryAsync<string>("SELECT column_name FROM information_schema.columns WHERE table_name = @Table ORDER BY ordinal_position", new { Table })];
    }

    private static async Task<string> DescribeAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        var rows = await connection.QueryAsync($"SELECT * FROM {QuotedTable} ORDER BY timestamp DESC LIMIT 3");
        return "newest rows: " + string.Join(" | ", rows.Select(r => string.Join(", ", ((IDictionary<string, object?>)r).Select(p => $"{p.Key}={p.Value ?? "NULL"}"))));
    }
}
