using System.CommandLine;
using System.Net;
using System.Text.Json;
using ThermalPlant.Cli.OpcUa;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.Cli.Tests;

/// <summary><c>thermalplant opcua ...</c> against a real server on loopback.</summary>
public sealed class OpcUaCommandTests : IAsyncLifetime
{
    private OpcUaServer _server = null!;

    private string Url => $"opc.tcp://127.0.0.1:{_server.Port}/freeopcua/server/";

    public Task InitializeAsync()
    {
        _server = new OpcUaServer(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1" });
        var ns = _server.AddressSpace.RegisterNamespace("urn:thermalplant:plant");
        _server.AddressSpace.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), NodeId.Of("Plant", ns), new QualifiedName(ns, "Plant"));
        _server.AddressSpace.AddVariable(NodeId.Of("Plant", ns), new UaVariable(NodeId.Of("Plant.Setpoint", ns), new QualifiedName(ns, "Setpoint"), "Setpoint", NodeId.Of(DataTypeIds.Double)) { AccessLevel = 0x03 })
            .SetValue(new DataValue { Value = Variant.From(12.5), SourceTimestamp = DateTime.UtcNow });
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Endpoints_lists_the_none_endpoint()
    {
        var (exit, output) = await Run("opcua", "endpoints", Url, "--json");
        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(Url, doc.RootElement[0].GetProperty("url").GetString());
        Assert.Equal("None", doc.RootElement[0].GetProperty("security mode").GetString());
    }

    [Fact]
    public async Task Browse_prints_a_table_of_children()
    {
        var (exit, output) = await Run("opcua", "browse", Url);
        Assert.Equal(0, exit);
        Assert.StartsWith("browse name", output, StringComparison.Ordinal);
        Assert.Contains("2:Plant", output, StringComparison.Ordinal);
        Assert.Contains("Server", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_then_read_round_trips_and_a_refused_write_fails()
    {
        Assert.Equal(0, (await Run("opcua", "write", Url, "ns=2;s=Plant.Setpoint", "33.25")).Exit);
        var (exit, output) = await Run("opcua", "read", Url, "ns=2;s=Plant.Setpoint", "--json");
        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(33.25, doc.RootElement[0].GetProperty("value").GetDouble());
        Assert.Contains("\"value\":33.25,", output, StringComparison.Ordinal);
        Assert.Equal("Good", doc.RootElement[0].GetProperty("status").GetString());
        Assert.Equal(1, (await Run("opcua", "write", Url, "ns=2;s=Plant.Setpoint", "x", "--type", "String")).Exit);
    }

    [Fact]
    public async Task An_unreachable_server_is_a_clear_error()
    {
        var (exit, _) = await Run("opcua", "endpoints", "opc.tcp://127.0.0.1:1/");
        Assert.Equal(1, exit);
    }

    private static async Task<(int Exit, string Output)> Run(params string[] args)
    {
        using var output = new StringWriter();
        var root = new RootCommand { OpcUaCommands.Create(output) };
        var exit = await root.Parse(args).InvokeAsync();
        return (exit, output.ToString());
    }
}
