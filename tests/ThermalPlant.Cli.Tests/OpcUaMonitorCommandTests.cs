using System.CommandLine;
using System.Net;
using System.Text.Json;
using ThermalPlant.Cli.OpcUa;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.Cli.Tests;

/// <summary><c>thermalplant opcua subscribe|history</c> against a real server on loopback.</summary>
public sealed class OpcUaMonitorCommandTests : IAsyncLifetime
{
    private static readonly DateTime T0 = new(2026, 11, 30, 6, 0, 0, DateTimeKind.Utc);
    private OpcUaServer _server = null!;
    private UaVariable _flow = null!;

    private string Url => $"opc.tcp://127.0.0.1:{_server.Port}/freeopcua/server/";

    public Task InitializeAsync()
    {
        _server = new OpcUaServer(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1", MinPublishingInterval = TimeSpan.FromMilliseconds(20) });
        var ns = _server.AddressSpace.RegisterNamespace("urn:thermalplant:plant");
        _flow = _server.AddressSpace.AddVariable(NodeId.Of(ObjectIds.ObjectsFolder), new UaVariable(NodeId.Of("Plant.Flow", ns), new QualifiedName(ns, "Flow"), "Flow", NodeId.Of(DataTypeIds.Double)) { Historizing = true });
        for (var i = 0; i < 5; i++) _flow.SetValue(new DataValue { Value = Variant.From(10.0 + i), SourceTimestamp = T0.AddMinutes(i) });
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Subscribe_prints_each_change_as_it_arrives()
    {
        using var writer = new StringWriter();
        var shared = TextWriter.Synchronized(writer);
        var run = Run(shared, () => Printed(shared, writer), "opcua", "subscribe", Url, "ns=2;s=Plant.Flow", "--interval", "50", "--sampling", "0", "--count", "3", "--seconds", "30", "--json");
        // The subscription exists once the initial value is printed; a change made before that would replace it.
        await WaitForAsync(() => Printed(shared, writer).Contains('\n', StringComparison.Ordinal), "the initial value");
        _flow.SetValue(new DataValue { Value = Variant.From(20.5), SourceTimestamp = DateTime.UtcNow });
        await WaitForAsync(() => Printed(shared, writer).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length >= 2, "the first change");
        _flow.SetValue(new DataValue { Value = Variant.From(21.5), SourceTimestamp = DateTime.UtcNow });
        var (exit, output) = await run.WaitAsync(TimeSpan.FromSeconds(40));

        Assert.Equal(0, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        var values = lines.Select(line => JsonDocument.Parse(line).RootElement.GetProperty("value").GetDouble()).ToArray();
        Assert.Equal([14, 20.5, 21.5], values);
        Assert.All(lines, line => Assert.Contains("\"status\":\"Good\"", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task History_prints_the_raw_values_of_a_range()
    {
        var (exit, output) = await Run("opcua", "history", Url, "ns=2;s=Plant.Flow", "--from", "2026-11-30T06:01:00Z", "--to", "2026-11-30T06:03:00Z", "--json");
        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal([11.0, 12.0, 13.0], doc.RootElement.EnumerateArray().Select(e => e.GetProperty("value").GetDouble()));
        Assert.Equal("2026-11-30T06:01:00.0000000Z", doc.RootElement[0].GetProperty("source timestamp").GetString());
    }

    [Fact]
    public async Task History_of_a_node_without_history_is_a_clear_error()
    {
        var (exit, _) = await Run("opcua", "history", Url, "i=2258", "--from", "2026-11-30T06:01:00Z");
        Assert.Equal(1, exit);
    }

    private static async Task<(int Exit, string Output)> Run(params string[] args)
    {
        using var output = new StringWriter();
        return await Run(output, output.ToString, args);
    }

    private static async Task<(int Exit, string Output)> Run(TextWriter output, Func<string> printed, params string[] args)
    {
        var root = new RootCommand { OpcUaCommands.Create(output) };
        var exit = await root.Parse(args).InvokeAsync();
        return (exit, printed());
    }

    /// <summary>What a synchronized writer wrapped around <paramref name="inner"/> has printed so far (it locks on itself).</summary>
    private static string Printed(TextWriter synchronized, StringWriter inner)
    {
        lock (synchronized) return inner.ToString();
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }
}
