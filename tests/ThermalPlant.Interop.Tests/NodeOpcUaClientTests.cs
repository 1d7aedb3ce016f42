using System.Net;
using System.Text.Json;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Testing;

namespace ThermalPlant.Interop.Tests;

/// <summary>node-opcua's client against our server: discovery, session, browse and read.</summary>
public sealed class NodeOpcUaClientTests
{
    [Fact]
    public async Task Node_opcua_browses_and_reads_our_server()
    {
        var script = NodeOpcUa.Script("client-browse-read.mjs");
        await using var server = new OpcUaServer(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1" });
        var ns = server.AddressSpace.RegisterNamespace("urn:thermalplant:plant");
        var objects = NodeId.Of(ObjectIds.ObjectsFolder);
        var plant = NodeId.Of("Plant", ns);
        var temperature = NodeId.Of("Plant.Temperature", ns);
        server.AddressSpace.AddObject(objects, plant, new QualifiedName(ns, "Plant"));
        server.AddressSpace.AddObject(plant, temperature, new QualifiedName(ns, "Temperature"));
        var upper = server.AddressSpace.AddVariable(temperature, new UaVariable(NodeId.Of("Plant.Temperature.Upper", ns), new QualifiedName(ns, "Upper"), "Upper", NodeId.Of(DataTypeIds.Double)) { Historizing = true, AccessLevel = 0x05 });
        var sampled = new DateTime(2026, 11, 24, 12, 0, 0, DateTimeKind.Utc);
        upper.SetValue(new DataValue { Value = Variant.From(419.25), SourceTimestamp = sampled });
        server.AddressSpace.AddVariable(plant, new UaVariable(NodeId.Of("Plant.Setpoint", ns), new QualifiedName(ns, "Setpoint"), "Setpoint", NodeId.Of(DataTypeIds.Double)) { AccessLevel = 0x03 })
            .SetValue(new DataValue { Value = Variant.From(10.0) });
        server.Start();

        var endpoint = $"opc.tcp://127.0.0.1:{server.Port}/freeopcua/server/";
        var (exit, output) = await ManagedProcess.RunAsync("node", [script, endpoint, "ns=2;s=Plant.Setpoint", "ns=2;s=Plant.Temperature.Upper"], TimeSpan.FromSeconds(60), Path.GetDirectoryName(script));
        Assert.True(exit == 0, output);
        var json = output.Split('\n').Last(line => line.StartsWith('{'));
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;

        var endpointDoc = root.GetProperty("endpoints")[0];
        Assert.Equal(endpoint, endpointDoc.GetProperty("url").GetString());
        Assert.EndsWith("#None", endpointDoc.GetProperty("policy").GetString(), StringComparison.Ordinal);

        var paths = root.GetProperty("tree").EnumerateArray().Select(e => e.GetProperty("path").GetString()).ToList();
        Assert.Contains("Objects/Server", paths);
        Assert.Contains("Objects/Plant/Temperature/Upper", paths);

        var read = root.GetProperty("reads").GetProperty("ns=2;s=Plant.Temperature.Upper");
        Assert.Equal(419.25, read.GetProperty("value").GetDouble());
        Assert.Equal("Good", read.GetProperty("status").GetString());
        Assert.Equal(sampled, read.GetProperty("sourceTimestamp").GetDateTime().ToUniversalTime());
        Assert.Equal("ns=0;i=11", read.GetProperty("dataType").GetString());
        Assert.Equal(5, read.GetProperty("accessLevel").GetInt32());
        Assert.True(read.GetProperty("historizing").GetBoolean());
        Assert.Equal(0, server.SessionCount);

        // node-opcua decoded our ServerStatus structure: State 0 is Running.
        Assert.Equal(0, root.GetProperty("serverState").GetInt32());
        Assert.True(root.GetProperty("currentTime").GetDateTime() > DateTime.UtcNow.AddMinutes(-1));
        Assert.Contains("urn:thermalplant:plant", root.GetProperty("namespaces").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("ns=0;i=2258", root.GetProperty("translated").GetString());
        var writes = root.GetProperty("writes");
        Assert.Equal("Good", writes.GetProperty("allowed").GetString());
        Assert.Equal("BadTypeMismatch", writes.GetProperty("wrongType").GetString());
        Assert.Equal("BadNotWritable", writes.GetProperty("readOnly").GetString());
        Assert.Equal(21.5, writes.GetProperty("readBack").GetDouble());
    }
}
