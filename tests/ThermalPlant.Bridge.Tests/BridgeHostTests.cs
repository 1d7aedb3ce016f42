using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using ThermalPlant.Electrolyzer.Simulation;
using ThermalPlant.Modbus.Server;
using ThermalPlant.PowerToGas;
using ThermalPlant.PowerToGas.Calibration;
using ThermalPlant.Testing;

namespace ThermalPlant.Bridge.Tests;

/// <summary>The bridge host from configuration: the calibrated set point reaches the electrolyzer, health and metrics say how its links stand.</summary>
public sealed class BridgeHostTests
{
    private static readonly string CalibrationFile = RepositoryPaths.Combine("src", "ThermalPlant.Electrolyzer", "Calibration", "pemel-calibration.txt");
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_configured_control_link_writes_the_calibrated_set_point_to_the_electrolyzer()
    {
        var table = await CalibrationTable.LoadAsync(CalibrationFile);
        var simulator = new PemelSimulator(new ElectrolyzerOptions(), table, new ModbusDataStore(), TimeProvider.System);
        await using var modbus = new ModbusTcpServer(simulator.Store, new ModbusServerOptions { Address = IPAddress.Loopback, Port = PeerPrograms.FreePort() });
        modbus.Start();
        await using var methanation = new MethanationUnit(new MethanationOptions { Address = "127.0.0.1", Port = PeerPrograms.FreePort(), HostName = "127.0.0.1", InitialRequest = 7.5 }, TimeProvider.System);
        methanation.Start();
        await using var bridge = await BridgeRun.StartAsync(Link(methanation.EndpointUrl, modbus.Port));

        // The seed's calibration: 7.5 NL/min is 21 A, 16.7 NL/min is 47 A.
        await BridgeRun.EventuallyAsync(() => Task.FromResult(SetPoint(simulator) == 21), Settle, () => Task.FromResult($"set point register holds {SetPoint(simulator)}"));
        methanation.SetRequest(16.7);
        await BridgeRun.EventuallyAsync(() => Task.FromResult(SetPoint(simulator) == 47), Settle, () => Task.FromResult($"set point register holds {SetPoint(simulator)}"));

        var ready = await bridge.Http.GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
        var metrics = await bridge.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("# TYPE thermalplant_control_writes_total counter", metrics, StringComparison.Ordinal);
        Assert.True(Sample(metrics, "thermalplant_control_writes_total", "link=\"pemel\",result=\"written\"") >= 2, metrics);
        Assert.Equal(1, Sample(metrics, "thermalplant_bridge_link_running", "link=\"pemel\""));
        Assert.Equal(1, Sample(metrics, "thermalplant_bridge_source_connected", "link=\"pemel\""));
        MetricConvention.AssertFollowed(metrics);
    }

    [Fact]
    public async Task A_link_whose_source_is_absent_keeps_the_bridge_serving_and_readiness_names_the_source()
    {
        var table = await CalibrationTable.LoadAsync(CalibrationFile);
        var simulator = new PemelSimulator(new ElectrolyzerOptions(), table, new ModbusDataStore(), TimeProvider.System);
        await using var modbus = new ModbusTcpServer(simulator.Store, new ModbusServerOptions { Address = IPAddress.Loopback, Port = PeerPrograms.FreePort() });
        modbus.Start();
        // Nothing listens on the source's port: the link ramps to its safe value (0 A) and the source retries.
        await using var bridge = await BridgeRun.StartAsync(Link($"opc.tcp://127.0.0.1:{PeerPrograms.FreePort()}/", modbus.Port));

        string body = "";
        await BridgeRun.EventuallyAsync(async () =>
        {
            body = await bridge.Http.GetStringAsync(new Uri("/health/ready", UriKind.Relative));
            return body.StartsWith("Degraded", StringComparison.Ordinal) && body.Contains("pemel source", StringComparison.Ordinal);
        }, Settle, () => Task.FromResult($"/health/ready said: {body}"));
        // The source goes on retrying, so a scrape can fall in an attempt's brief "connecting": the scrape waited for shows
        // it in backoff, rather than whichever scrape first showed the counts.
        var metrics = "";
        await BridgeRun.EventuallyAsync(async () =>
        {
            metrics = await bridge.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            return Sample(metrics, "thermalplant_control_source_lost_total", "link=\"pemel\"") > 0
                && Sample(metrics, "thermalplant_bridge_source_failures_total", "link=\"pemel\"") > 0
                && Sample(metrics, "thermalplant_bridge_source_state", "link=\"pemel\",state=\"backoff\"") == 1;
        }, Settle, () => Task.FromResult(metrics));
        Assert.Equal(1, Sample(metrics, "thermalplant_bridge_link_running", "link=\"pemel\""));
        Assert.Equal(0, Sample(metrics, "thermalplant_bridge_source_connected", "link=\"pemel\""));
        Assert.Equal(0, Sample(metrics, "thermalplant_bridge_source_state", "link=\"pemel\",state=\"connected\""));
        MetricConvention.AssertFollowed(metrics);
    }

    [Fact]
    public async Task Invalid_configuration_stops_the_start_with_messages_naming_the_full_keys()
    {
        var app = BridgeHost.Create(
        [
            "--urls=http://127.0.0.1:0",
            "--Bridge:Links:0:Name=pemel",
            "--Bridge:Links:0:CalibrationFile=/nonexistent/pemel-calibration.txt",
            "--Bridge:Links:0:Source:EndpointUrl=http://not-opc",
            "--Bridge:Links:0:Source:NodeId=ns=2;s=Methanation.H2FlowRequest",
            "--Bridge:Links:0:Target:Port=70000",
            "--Bridge:Links:1:Name=pemel",
            $"--Bridge:Links:1:CalibrationFile={CalibrationFile}",
            "--Bridge:Links:1:Source:EndpointUrl=opc.tcp://127.0.0.1:4841/",
            "--Bridge:Links:1:Source:NodeId=ns=2;s=Methanation.H2FlowRequest",
            "--Bridge:Links:1:SafeValue=100",
        ]);
        var failure = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => app.StartAsync());
        var messages = string.Join(Environment.NewLine, failure.Failures);
        Assert.Contains("Bridge:Links:0:CalibrationFile '/nonexistent/pemel-calibration.txt' does not exist", messages, StringComparison.Ordinal);
        Assert.Contains("Bridge:Links:0:Source:EndpointUrl", messages, StringComparison.Ordinal);
        Assert.Contains("Bridge:Links:0:Target:Port", messages, StringComparison.Ordinal);
        Assert.Contains("Bridge:Links:1:Name 'pemel' is used by another link", messages, StringComparison.Ordinal);
        Assert.Contains("Bridge:Links:1:SafeValue must lie within Minimum..Maximum", messages, StringComparison.Ordinal);
        await app.DisposeAsync();

        var empty = BridgeHost.Create(["--urls=http://127.0.0.1:0"]);
        var none = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => empty.StartAsync());
        Assert.Contains("Bridge:Links must configure at least one control link", none.Message, StringComparison.Ordinal);
        await empty.DisposeAsync();
    }

    private static Dictionary<string, string> Link(string sourceUrl, int modbusPort) => new(StringComparer.Ordinal)
    {
        ["Links:0:Name"] = "pemel",
        ["Links:0:CalibrationFile"] = CalibrationFile,
        ["Links:0:MaxRatePerSecond"] = "100",
        ["Links:0:Enable:Active"] = "false",
        ["Links:0:Source:EndpointUrl"] = sourceUrl,
        ["Links:0:Source:NodeId"] = MethanationUnit.RequestNodeId,
        ["Links:0:Source:ReconnectDelay"] = "00:00:00.200",
        ["Links:0:Target:Port"] = modbusPort.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The value of the series <paramref name="name"/>{<paramref name="labels"/>}, or -1 when it is not there.</summary>
    private static double Sample(string metrics, string name, string labels)
    {
        var match = Regex.Match(metrics, $@"^{Regex.Escape(name)}\{{{Regex.Escape(labels)}\}} (\S+)$", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
    }

    private static ushort SetPoint(PemelSimulator simulator)
    {
        Span<ushort> value = stackalloc ushort[1];
        simulator.Store.ReadHoldingRegisters(PemelRegisterMap.CurrentSetPointAddress, value);
        return value[0];
    }
}
