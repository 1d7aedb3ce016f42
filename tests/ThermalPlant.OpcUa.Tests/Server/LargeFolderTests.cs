using System.Net;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Transport;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Server;

/// <summary>A folder of 10,000 nodes, as UaExpert opens one: the answer spans many chunks, or is refused cleanly.</summary>
public sealed class LargeFolderTests : IAsyncLifetime
{
    private const int Count = 10_000;
    private OpcUaServer _server = null!;
    private NodeId _folder = null!;

    private string Url => $"opc.tcp://127.0.0.1:{_server.Port}/freeopcua/server/";

    public Task InitializeAsync()
    {
        _server = new OpcUaServer(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1" });
        var ns = _server.AddressSpace.RegisterNamespace("urn:thermalplant:large");
        _folder = NodeId.Of("Large", ns);
        _server.AddressSpace.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), _folder, new QualifiedName(ns, "Large"));
        for (var i = 0; i < Count; i++)
        {
            _server.AddressSpace.AddVariable(_folder, new UaVariable(NodeId.Of($"Large.Variable_{i:D5}", ns), new QualifiedName(ns, $"Variable_{i:D5}"), $"Variable_{i:D5}", NodeId.Of(DataTypeIds.Double)))
                .SetValue(new DataValue { Value = Variant.From((double)i) });
        }
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Browsing_ten_thousand_nodes_at_once_arrives_complete_across_chunks()
    {
        await using var client = await OpcUaClient.ConnectAsync(Url);
        await client.OpenSessionAsync("large");

        var references = await client.BrowseAsync(_folder);

        var variables = references.Where(r => r.NodeClass == NodeClass.Variable).Select(r => r.BrowseName.Name).ToArray();
        Assert.Equal(Count, variables.Length);
        Assert.Equal(Count, variables.Distinct(StringComparer.Ordinal).Count());
        Assert.Contains("Variable_09999", variables);
    }

    [Fact]
    public async Task A_response_larger_than_the_client_accepts_is_a_service_fault_and_the_channel_goes_on()
    {
        var small = new OpcUaClientOptions { Transport = new TransportLimits { ReceiveBufferSize = 8192, MaxMessageSize = 64 * 1024, MaxChunkCount = 0 } };
        await using var client = await OpcUaClient.ConnectAsync(Url, small);
        await client.OpenSessionAsync("small");

        var error = await Assert.ThrowsAsync<OpcUaException>(() => client.BrowseAsync(_folder));
        Assert.Equal(StatusCodes.BadResponseTooLarge, error.Status.Code);

        var paged = await client.BrowseAsync(_folder, maxReferencesPerCall: 500);
        Assert.Equal(Count, paged.Count(r => r.NodeClass == NodeClass.Variable));
        Assert.Equal(42.0, (await client.ReadValueAsync(NodeId.Of("Large.Variable_00042", _folder.NamespaceIndex))).Value!.Value);
    }
}
