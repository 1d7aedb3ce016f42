using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ThermalPlant.Electrolyzer.Simulation;
using ThermalPlant.Modbus.Server;
using ThermalPlant.PowerToGas.Calibration;
using ThermalPlant.Scraper.Supervision;
using ThermalPlant.Testing;

namespace ThermalPlant.Scraper.Tests;

/// <summary>A Modbus device and an OPC UA endpoint in one scraper: either going away leaves the other storing.</summary>
[Collection(PostgresCollection.Name)]
public sealed class IndependenceTests(PostgresFixture postgres) : IDisposable
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);
    private static readonly string CalibrationFile = RepositoryPaths.Combine("src", "ThermalPlant.Electrolyzer", "Calibration", "pemel-calibration.txt");
    private readonly TempDirectory _data = new("thermalplant-scraper-");

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task Modbus_keeps_storing_while_OPC_UA_is_cut_and_the_other_way_round()
    {
        var database = await postgres.Server.CreateDatabaseAsync();
        var table = await CalibrationTable.LoadAsync(CalibrationFile);
        var simulator = new PemelSimulator(new ElectrolyzerOptions(), table, new ModbusDataStore(), TimeProvider.System);
        var modbusPort = PeerPrograms.FreePort();
        var modbus = new ModbusTcpServer(simulator.Store, new ModbusServerOptions { Address = IPAddress.Loopback, Port = modbusPort });
        modbus.Start();
        await using var plant = await PlantServer.StartAsync();
        await using var relay = new TcpRelay(plant.Port);
        plant.StartProducing();
        var url = $"opc.tcp://127.0.0.1:{relay.Port}/freeopcua/server/";
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["OpcUa:Endpoints:0:Url"] = url,
            ["OpcUa:Endpoints:0:PublishingInterval"] = "00:00:00.200",
            ["OpcUa:Endpoints:0:ReconnectMinDelay"] = "00:00:00.200",
            ["OpcUa:Endpoints:0:ReconnectMaxDelay"] = "00:00:01",
            ["Modbus:Devices:0:Name"] = "pemel",
            ["Modbus:Devices:0:Port"] = modbusPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Modbus:Devices:0:Pemel"] = "true",
            ["Modbus:Devices:0:PollInterval"] = "00:00:00.200",
        };
        await using var scraper = await ScraperRun.StartAsync(database, _data.Path, settings);
        const string Modbus = "SELECT count(*) FROM sensor_data WHERE sensorname = 'pemel' AND status = 0";
        const string OpcUa = "SELECT count(*) FROM sensor_data WHERE sensorname = 'temperature'";
        await Stored.EventuallyAsync(async () => await Stored.CountAsync(database, Modbus) > 0 && await Stored.CountAsync(database, OpcUa) > 0, Settle, () => Task.FromResult("both sources must store before the cuts"));
        var flags = await Stored.CountAsync(database, "SELECT count(DISTINCT tagname) FROM sensor_data WHERE sensorname = 'pemel' AND tagname LIKE 'status.%'");
        Assert.Equal(16, flags);

        // Each outage is counted from when the scraper saw it (its health names the source down), so the rows that
        // must follow are stored while the other source is really gone.
        relay.Cut(refuseNew: true);
        await WaitUntilDownAsync(scraper, "opcua " + url);
        var modbusRows = await Stored.CountAsync(database, Modbus);
        await Stored.EventuallyAsync(async () => await Stored.CountAsync(database, Modbus) > modbusRows + 100, Settle, () => Task.FromResult("Modbus stopped storing while OPC UA was cut"));
        relay.Restore();

        await modbus.DisposeAsync();
        await WaitUntilDownAsync(scraper, "modbus pemel");
        var opcRows = await Stored.CountAsync(database, OpcUa);
        await Stored.EventuallyAsync(async () => await Stored.CountAsync(database, OpcUa) > opcRows + 20, Settle, () => Task.FromResult("OPC UA stopped storing while Modbus was down"));
        // The failed poll queued the device's values as unavailable before the source reported down; they are stored
        // like any other batch, a moment later.
        await Stored.EventuallyAsync(
            async () => await Stored.CountAsync(database, "SELECT count(*) FROM sensor_data WHERE sensorname = 'pemel' AND status <> 0") > 0,
            Settle, () => Task.FromResult("the Modbus outage is not in the data"));

        await using var back = new ModbusTcpServer(simulator.Store, new ModbusServerOptions { Address = IPAddress.Loopback, Port = modbusPort });
        back.Start();
        modbusRows = await Stored.CountAsync(database, Modbus);
        await Stored.EventuallyAsync(async () => await Stored.CountAsync(database, Modbus) > modbusRows, Settle, () => Task.FromResult("Modbus did not recover by itself"));

        await plant.StopProducingAsync();
        await Expect.EveryValueStoredOnceAsync(plant.WithUrl(url), database, Settle);
    }

    /// <summary>Waits until the scraper's health names <paramref name="source"/> down.</summary>
    private static async Task WaitUntilDownAsync(ScraperRun scraper, string source)
    {
        var health = scraper.Services.GetRequiredService<SourceHealth>();
        var until = DateTime.UtcNow + Settle;
        while (!(await health.CheckHealthAsync(new HealthCheckContext())).Data.ContainsKey(source))
        {
            Assert.True(DateTime.UtcNow < until, $"the scraper did not see {source} go down within {Settle.TotalSeconds} s");
            await Task.Delay(50);
        }
    }
}
