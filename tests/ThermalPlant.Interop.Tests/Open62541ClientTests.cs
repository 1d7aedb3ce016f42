using System.Globalization;
using System.Net;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.History;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.Interop.Tests;

/// <summary>open62541's client (bench/open62541/client.c) against our server: browse, read, write, subscribe, history, and a secured channel.</summary>
public sealed class Open62541ClientTests : IDisposable
{
    private const string Namespace = "urn:thermalplant:plant";
    private static readonly DateTime Sampled = new(2026, 11, 24, 12, 0, 0, DateTimeKind.Utc);

    private readonly string _directory = Directory.CreateTempSubdirectory("thermalplant-interop-open62541-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Open62541_browses_reads_and_writes_our_server()
    {
        await using var server = PlantServer(out var upper, out var setpoint);
        server.Start();
        var url = Url(server);

        var objects = await Open62541.ClientAsync("browse", url, "i=85");
        Assert.Contains("ref Server i=2253", objects);
        Assert.Contains("ref Plant ns=2;s=Plant", objects);
        var plant = await Open62541.ClientAsync("browse", url, $"nsu={Namespace};s=Plant");
        Assert.Equal(["ref Setpoint ns=2;s=Plant.Setpoint", "ref Temperature ns=2;s=Plant.Temperature"], plant.Where(l => l.StartsWith("ref ", StringComparison.Ordinal)).Order(StringComparer.Ordinal));

        var reads = await Open62541.ClientAsync("read", url, $"nsu={Namespace};s=Plant.Temperature.Upper", $"nsu={Namespace};s=Plant.Missing", "i=2259");
        var values = reads.Where(l => l.StartsWith("value ", StringComparison.Ordinal)).ToArray();
        Assert.Equal("value Good 419.25", values[0]);
        Assert.Equal("value BadNodeIdUnknown -", values[1]);
        // ServerStatus/State: Running (0), an Int32 enumeration decoded by open62541 from our encoding.
        Assert.StartsWith("value Good", values[2], StringComparison.Ordinal);

        Assert.Contains("write Good", await Open62541.ClientAsync("write", url, $"nsu={Namespace};s=Plant.Setpoint", "21.5"));
        Assert.Equal(21.5, setpoint.Value.Value.Value);
        Assert.Contains("write BadNotWritable", await Open62541.ClientAsync("write", url, $"nsu={Namespace};s=Plant.Temperature.Upper", "1"));
        Assert.Equal(419.25, upper.Value.Value.Value);
        Assert.Equal(0, server.SessionCount);
    }

    [Fact]
    public async Task Open62541_subscribes_to_our_server_and_receives_every_change_in_order()
    {
        await using var server = PlantServer(out _, out var setpoint);
        server.Start();
        const int count = 10;
        var run = Open62541.ClientAsync("subscribe", Url(server), $"nsu={Namespace};s=Plant.Setpoint", count.ToString(CultureInfo.InvariantCulture), "60");
        // A new value every 150 ms until the client has its notifications (the first is the value at subscribing).
        var step = 0;
        while (!run.IsCompleted && step < 600)
        {
            await Task.Delay(150);
            setpoint.SetValue(new DataValue { Value = Variant.From(100.0 + ++step), SourceTimestamp = DateTime.UtcNow });
        }
        var lines = await run;
        var notifications = lines.Where(l => l.StartsWith("notification ", StringComparison.Ordinal)).ToList();
        Assert.True(notifications.Count >= count, string.Join('\n', lines));
        Assert.All(notifications, n => Assert.StartsWith("notification Good ", n, StringComparison.Ordinal));
        var numbers = notifications.Skip(1).Select(n => double.Parse(n.Split(' ')[2], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(numbers.Order(), numbers);
        Assert.Equal(numbers.Count, numbers.Distinct().Count());
        Assert.All(numbers, n => Assert.True(n > 100, $"{n} is not a pushed value"));
    }

    [Fact]
    public async Task Open62541_reads_the_history_of_our_server()
    {
        await using var server = PlantServer(out var upper, out _, new MemoryHistoryStore(100, TimeSpan.FromDays(3650)));
        for (var i = 1; i <= 5; i++)
        {
            upper.SetValue(new DataValue { Value = Variant.From(400.0 + i), SourceTimestamp = Sampled.AddSeconds(i) });
        }
        server.Start();
        var start = new DateTimeOffset(Sampled).ToUnixTimeMilliseconds();
        var lines = await Open62541.ClientAsync("history", Url(server), $"nsu={Namespace};s=Plant.Temperature.Upper", start.ToString(CultureInfo.InvariantCulture), (start + 60_000).ToString(CultureInfo.InvariantCulture));
        var history = lines.Where(l => l.StartsWith("history ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(Enumerable.Range(1, 5).Select(i => $"history Good {400 + i} {start + (i * 1000)}"), history);
    }

    [Fact]
    public async Task Open62541_reads_our_server_over_Basic256Sha256_SignAndEncrypt()
    {
        await using var server = PlantServer(out _, out _, security:
        [
            new EndpointSecurity(SecurityPolicyUris.Basic256Sha256, MessageSecurityMode.SignAndEncrypt),
        ]);
        server.Start();
        var lines = await Open62541.ClientAsync("read", Url(server), $"nsu={Namespace};s=Plant.Temperature.Upper", "--secure");
        Assert.Contains("value Good 419.25", lines);
        // Only the secured endpoint is offered: the same client without security is refused.
        var program = Path.Combine(await Open62541.DirectoryAsync(), "tp-open62541-client");
        var (exit, _) = await ThermalPlant.Testing.ManagedProcess.RunAsync(program, ["read", Url(server), "i=2259"], TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, exit);
    }

    private static string Url(OpcUaServer server) => $"opc.tcp://127.0.0.1:{server.Port}/freeopcua/server/";

    /// <summary>Objects/Plant/Temperature/Upper (Double, read and history read, 419.25) and Objects/Plant/Setpoint (Double, writable).</summary>
    private OpcUaServer PlantServer(out UaVariable upper, out UaVariable setpoint, IHistoryStore? history = null, EndpointSecurity[]? security = null)
    {
        var options = new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1" };
        if (security is not null)
        {
            // The client's certificate is new on every run; accepting it is what this test's administrator would do.
            options = options with { Security = security, CertificateStorePath = Path.Combine(_directory, "pki"), AutoAcceptUntrustedCertificates = true };
        }
        var server = new OpcUaServer(options, history: history);
        var ns = server.AddressSpace.RegisterNamespace(Namespace);
        var plant = NodeId.Of("Plant", ns);
        var temperature = NodeId.Of("Plant.Temperature", ns);
        server.AddressSpace.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), plant, new QualifiedName(ns, "Plant"));
        server.AddressSpace.AddObject(plant, temperature, new QualifiedName(ns, "Temperature"));
        upper = server.AddressSpace.AddVariable(temperature, new UaVariable(NodeId.Of("Plant.Temperature.Upper", ns), new QualifiedName(ns, "Upper"), "Upper", NodeId.Of(DataTypeIds.Double)) { Historizing = history is not null, AccessLevel = 0x05 });
        if (history is null) upper.SetValue(new DataValue { Value = Variant.From(419.25), SourceTimestamp = Sampled });
        setpoint = server.AddressSpace.AddVariable(plant, new UaVariable(NodeId.Of("Plant.Setpoint", ns), new QualifiedName(ns, "Setpoint"), "Setpoint", NodeId.Of(DataTypeIds.Double)) { AccessLevel = 0x03 });
        setpoint.SetValue(new DataValue { Value = Variant.From(10.0), SourceTimestamp = Sampled });
        return server;
    }
}
