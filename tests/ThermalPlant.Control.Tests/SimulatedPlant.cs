using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ThermalPlant.Control.Links;
using ThermalPlant.Control.Sources;
using ThermalPlant.Electrolyzer.Simulation;
using ThermalPlant.Modbus.Client;
using ThermalPlant.Modbus.Server;
using ThermalPlant.PowerToGas;
using ThermalPlant.PowerToGas.Calibration;
using ThermalPlant.Testing;

namespace ThermalPlant.Control.Tests;

/// <summary>
/// The Power-to-Gas pair on loopback: the simulated methanation unit (our OPC UA server) and the simulated PEMEL
/// (our Modbus TCP server), and a control link between them over real sockets. The link's and the model's clock is
/// a fake that the test steps; the transports keep real time so that a stopped server is noticed.
/// </summary>
internal sealed class SimulatedPlant : IAsyncDisposable
{
    public static readonly string CalibrationFile = RepositoryPaths.Combine("src", "ThermalPlant.Electrolyzer", "Calibration", "pemel-calibration.txt");

    private SimulatedPlant(FakeTimeProvider time, CalibrationTable table, PemelSimulator simulator, ModbusTcpServer modbus, MethanationUnit methanation)
    {
        Time = time;
        Table = table;
        Simulator = simulator;
        Modbus = modbus;
        Methanation = methanation;
    }

    public FakeTimeProvider Time { get; }

    public CalibrationTable Table { get; }

    public PemelSimulator Simulator { get; }

    public ModbusTcpServer Modbus { get; }

    public MethanationUnit Methanation { get; }

    public bool MethanationStopped { get; private set; }

    public bool ModbusStopped { get; private set; }

    public LogCollector<ControlLink> Log { get; } = new();

    public ushort SetPointRegister
    {
        get
        {
            Span<ushort> value = stackalloc ushort[1];
            Simulator.Store.ReadHoldingRegisters(PemelRegisterMap.CurrentSetPointAddress, value);
            return value[0];
        }
    }

    public static async Task<SimulatedPlant> StartAsync(double coolerTemperature = 5, double request = 7.5)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var table = await CalibrationTable.LoadAsync(CalibrationFile);
        var simulator = new PemelSimulator(new ElectrolyzerOptions { InitialCoolerTemperature = coolerTemperature }, table, new ModbusDataStore(), time);
        var modbus = new ModbusTcpServer(simulator.Store, new ModbusServerOptions { Address = IPAddress.Loopback, Port = PeerPrograms.FreePort() });
        modbus.Start();
        var methanation = new MethanationUnit(new MethanationOptions { Address = "127.0.0.1", Port = PeerPrograms.FreePort(), HostName = "127.0.0.1", InitialRequest = request }, TimeProvider.System);
        methanation.Start();
        return new SimulatedPlant(time, table, simulator, modbus, methanation);
    }

    public ControlLinkOptions LinkOptions(Action<ControlLinkOptions>? configure = null)
    {
        var options = new PemelLinkOptions
        {
            CalibrationFile = CalibrationFile,
            MaxRatePerSecond = 100,
            Source = new OpcUaSourceOptions { EndpointUrl = Methanation.EndpointUrl, NodeId = MethanationUnit.RequestNodeId, ReadTimeout = TimeSpan.FromSeconds(3) },
            Target = { Host = "127.0.0.1", Port = Modbus.Port },
        };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>A link over new clients; the returned disposable closes them.</summary>
    public (ControlLink Link, IAsyncDisposable Clients) CreateLink(ControlLinkOptions options)
    {
        var source = new OpcUaControlSource(options.Source, NullLogger<OpcUaControlSource>.Instance, TimeProvider.System);
        var client = new ModbusTcpClient(options.Target.ToClientOptions());
        return (new ControlLink(options, Table, source, client, Log, Time), new Clients(source, client));
    }

    /// <summary>Steps the fake clock and the model in 1 s steps.</summary>
    public void Advance(TimeSpan duration)
    {
        for (var t = TimeSpan.Zero; t < duration; t += TimeSpan.FromSeconds(1))
        {
            Time.Advance(TimeSpan.FromSeconds(1));
            Simulator.Update();
        }
    }

    public async Task StopMethanationAsync()
    {
        MethanationStopped = true;
        await Methanation.DisposeAsync();
    }

    public async Task StopModbusAsync()
    {
        ModbusStopped = true;
        await Modbus.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!MethanationStopped) await Methanation.DisposeAsync();
        if (!ModbusStopped) await Modbus.DisposeAsync();
    }

    private sealed class Clients(OpcUaControlSource source, ModbusTcpClient client) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await source.DisposeAsync();
            await client.DisposeAsync();
        }
    }
}
