using ThermalPlant.Electrolyzer.Simulation;
using ThermalPlant.Modbus.Client;
using ThermalPlant.Modbus.Maps;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.PowerToGas;
using ThermalPlant.Testing;

namespace ThermalPlant.Electrolyzer.Tests;

/// <summary>The whole host on loopback: /health and /metrics on the side port, the PEMEL on Modbus, the methanation unit on OPC UA.</summary>
public sealed class ElectrolyzerHostTests
{
    [Fact]
    public async Task The_host_serves_health_metrics_modbus_and_opc_ua_and_closes_them_on_stop()
    {
        var http = PeerPrograms.FreePort();
        var modbusPort = PeerPrograms.FreePort();
        var opcuaPort = PeerPrograms.FreePort();
        var app = ElectrolyzerHost.Create([
            $"--urls=http://127.0.0.1:{http}",
            "--Electrolyzer:ModbusAddress=127.0.0.1", $"--Electrolyzer:ModbusPort={modbusPort}", "--Electrolyzer:InitialCoolerTemperature=5",
            "--Methanation:Address=127.0.0.1", $"--Methanation:Port={opcuaPort}", "--Methanation:HostName=127.0.0.1", "--Methanation:InitialRequest=7.5",
        ]);
        await app.StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}") };
            await HttpWait.UntilOkAsync(new Uri($"http://127.0.0.1:{http}/health/ready"), TimeSpan.FromSeconds(10));
            var metrics = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            Assert.Contains("thermalplant_electrolyzer_h2_flow_nl_per_min", metrics, StringComparison.Ordinal);
            MetricConvention.AssertFollowed(metrics);

            await using var modbus = new ModbusTcpClient(new ModbusClientOptions { Port = modbusPort });
            await modbus.WriteSingleRegisterAsync(0, PemelRegisterMap.CurrentSetPointAddress, 21);
            var values = await new RegisterMapReader(PemelRegisterMap.Create()).ReadAsync(modbus, 0);
            Assert.True(values[0].Flags![PemelRegisterMap.CoolingTemperatureReached]);
            Assert.Equal(15, values.Count);

            await using var opcua = await OpcUaClient.ConnectAsync($"opc.tcp://127.0.0.1:{opcuaPort}/");
            await opcua.OpenSessionAsync("test");
            var request = await opcua.ReadValueAsync(NodeId.Parse(MethanationUnit.RequestNodeId));
            Assert.Equal(7.5, request.Value!.Value);
            Assert.True((await opcua.WriteValueAsync(NodeId.Parse(MethanationUnit.RequestNodeId), Variant.From(16.7))).IsGood);
            Assert.True((await opcua.WriteValueAsync(NodeId.Parse(MethanationUnit.RequestNodeId), Variant.From(-1.0))).IsBad);
            await opcua.CloseAsync();
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        await using var after = new ModbusTcpClient(new ModbusClientOptions { Port = modbusPort, ConnectTimeout = TimeSpan.FromSeconds(1) });
        await Assert.ThrowsAsync<ThermalPlant.Modbus.ModbusProtocolException>(() => after.ReadHoldingRegistersAsync(0, 0, 1));
    }

    [Fact]
    public async Task Invalid_options_stop_the_start_naming_the_key()
    {
        var app = ElectrolyzerHost.Create(["--urls=http://127.0.0.1:0", "--Electrolyzer:ModbusPort=70000", "--Methanation:Enabled=false"]);
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("Electrolyzer:ModbusPort", error.Message, StringComparison.Ordinal);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task Modbus_connection_limits_come_from_configuration_and_refusals_are_counted()
    {
        var http = PeerPrograms.FreePort();
        var modbusPort = PeerPrograms.FreePort();
        var app = ElectrolyzerHost.Create([
            $"--urls=http://127.0.0.1:{http}", "--Methanation:Enabled=false",
            "--Electrolyzer:ModbusAddress=127.0.0.1", $"--Electrolyzer:ModbusPort={modbusPort}", "--Electrolyzer:ModbusMaxConnectionsPerAddress=1",
        ]);
        await app.StartAsync();
        try
        {
            await HttpWait.UntilOkAsync(new Uri($"http://127.0.0.1:{http}/health/ready"), TimeSpan.FromSeconds(10));
            await using var first = new ModbusTcpClient(new ModbusClientOptions { Port = modbusPort });
            await first.ReadHoldingRegistersAsync(0, PemelRegisterMap.CurrentSetPointAddress, 1);
            await using var second = new ModbusTcpClient(new ModbusClientOptions { Port = modbusPort });

            await Assert.ThrowsAsync<ThermalPlant.Modbus.ModbusProtocolException>(() => second.ReadHoldingRegistersAsync(0, PemelRegisterMap.CurrentSetPointAddress, 1));

            await first.ReadHoldingRegistersAsync(0, PemelRegisterMap.CurrentSetPointAddress, 1);
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}") };
            Assert.Contains("thermalplant_electrolyzer_modbus_connections_dropped_total{reason=\"PerAddressLimit\"}",
                await client.GetStringAsync(new Uri("/metrics", UriKind.Relative)), StringComparison.Ordinal);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("--Electrolyzer:ModbusMaxConnectionsPerAddress=17", "Electrolyzer:ModbusMaxConnectionsPerAddress")]
    [InlineData("--Electrolyzer:ModbusIdleTimeout=00:00:00", "Electrolyzer:ModbusIdleTimeout")]
    [InlineData("--Electrolyzer:ModbusMaxConnections=0", "Electrolyzer:ModbusMaxConnections")]
    public async Task Invalid_modbus_connection_limits_stop_the_start_naming_the_key(string setting, string key)
    {
        var app = ElectrolyzerHost.Create(["--urls=http://127.0.0.1:0", setting, "--Methanation:Enabled=false"]);
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => app.StartAsync());
        Assert.Contains(error.Failures, f => f.StartsWith(key, StringComparison.Ordinal));
        await app.DisposeAsync();
    }
}
