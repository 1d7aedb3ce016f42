using System.Net;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.History;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.History;

/// <summary>HistoryRead of many nodes per request, each node with its own continuation points, within the server's limits.</summary>
public sealed class HistoryManyNodesTests
{
    private const int Variables = 30;
    private const int ValuesEach = 20;
    private static readonly DateTime T0 = new(2026, 11, 30, 6, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task Many_nodes_are_read_together_each_through_its_own_continuation_points_within_the_server_limits()
    {
        // 8 nodes per request and 3 continuation points per session: 30 nodes of 5 pages each need both limits kept.
        await using var plant = await Plant.StartAsync(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1", MaxNodesPerOperation = 8, MaxContinuationPoints = 3 });
        var nodes = plant.Nodes.Append(plant.Plain).Append(NodeId.Of("Plant.Missing", plant.Namespace)).ToArray();

        var read = await ReadAllAsync(plant.Client, nodes, valuesPerNode: 4);

        for (var k = 0; k < Variables; k++)
        {
            Assert.Equal(Enumerable.Range(0, ValuesEach).Select(i => Plant.Value(k, i)), read.Values[k]);
            Assert.Equal(StatusCodes.Good, read.Statuses[k]);
        }
        Assert.Equal(StatusCodes.BadHistoryOperationUnsupported, read.Statuses[Variables]);
        Assert.Equal(StatusCodes.BadNodeIdUnknown, read.Statuses[Variables + 1]);
        Assert.Empty(read.Values[Variables]);
        Assert.All(read.LastPages, count => Assert.Equal(1, count));
    }

    [Fact]
    public async Task Stopping_a_read_early_releases_its_continuation_points_for_the_next_read()
    {
        await using var plant = await Plant.StartAsync(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1", MaxContinuationPoints = 5 });
        await foreach (var page in plant.Client.HistoryReadRawAsync(plant.Nodes, T0, T0.AddSeconds(ValuesEach), valuesPerNode: 2))
        {
            Assert.Equal(StatusCodes.Good, page.Status.Code);
            break;
        }

        // Were the first read's points still held, the session would have none left and every node would be refused.
        var read = await ReadAllAsync(plant.Client, plant.Nodes, valuesPerNode: 2);
        for (var k = 0; k < Variables; k++) Assert.Equal(Enumerable.Range(0, ValuesEach).Select(i => Plant.Value(k, i)), read.Values[k]);
    }

    [Fact]
    public async Task Each_node_keeps_its_own_range_and_order_when_read_newest_first()
    {
        await using var plant = await Plant.StartAsync(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1" });
        var values = new Dictionary<int, List<double>>();
        await foreach (var page in plant.Client.HistoryReadRawAsync(plant.Nodes, T0.AddSeconds(12), T0.AddSeconds(5), valuesPerNode: 3))
        {
            if (!values.TryGetValue(page.Index, out var list)) values[page.Index] = list = [];
            list.AddRange(page.Values.Select(v => (double)v.Value!.Value!));
        }
        Assert.Equal(Variables, values.Count);
        for (var k = 0; k < Variables; k++) Assert.Equal(Enumerable.Range(5, 8).Reverse().Select(i => Plant.Value(k, i)), values[k]);
    }

    private static async Task<(List<double>[] Values, uint[] Statuses, int[] LastPages)> ReadAllAsync(OpcUaClient client, IReadOnlyList<NodeId> nodes, uint valuesPerNode)
    {
        var values = nodes.Select(_ => new List<double>()).ToArray();
        var statuses = new uint[nodes.Count];
        var last = new int[nodes.Count];
        await foreach (var page in client.HistoryReadRawAsync(nodes, T0, T0.AddSeconds(ValuesEach), valuesPerNode))
        {
            Assert.Equal(nodes[page.Index], page.Node);
            Assert.True(last[page.Index] == 0, $"a page of node {page.Index} after its last one");
            Assert.True(page.Values.Count <= valuesPerNode);
            values[page.Index].AddRange(page.Values.Select(v => (double)v.Value!.Value!));
            statuses[page.Index] = page.Status.Code == StatusCodes.GoodNoData ? StatusCodes.Good : page.Status.Code;
            if (page.IsLast) last[page.Index]++;
        }
        return (values, statuses, last);
    }

    /// <summary>Our server with <see cref="Variables"/> historizing variables of <see cref="ValuesEach"/> values each, one without history, and a client.</summary>
    private sealed class Plant : IAsyncDisposable
    {
        private Plant(OpcUaServer server, OpcUaClient client, ushort ns, NodeId[] nodes, NodeId plain)
        {
            Server = server;
            Client = client;
            Namespace = ns;
            Nodes = nodes;
            Plain = plain;
        }

        public OpcUaServer Server { get; }

        public OpcUaClient Client { get; }

        public ushort Namespace { get; }

        public NodeId[] Nodes { get; }

        public NodeId Plain { get; }

        public static double Value(int variable, int index) => (variable * 100) + index;

        public static async Task<Plant> StartAsync(OpcUaServerOptions options)
        {
            var server = new OpcUaServer(options, history: new MemoryHistoryStore(100, TimeSpan.FromHours(1)));
            var ns = server.AddressSpace.RegisterNamespace("urn:thermalplant:plant");
            var nodes = new NodeId[Variables];
            for (var k = 0; k < Variables; k++)
            {
                nodes[k] = NodeId.Of($"Plant.Var{k}", ns);
                var variable = server.AddressSpace.AddVariable(NodeId.Of(ObjectIds.ObjectsFolder), new UaVariable(nodes[k], new QualifiedName(ns, $"Var{k}"), $"Var{k}", NodeId.Of(DataTypeIds.Double)) { Historizing = true });
                for (var i = 0; i < ValuesEach; i++) variable.SetValue(new DataValue { Value = Variant.From(Value(k, i)), SourceTimestamp = T0.AddSeconds(i) });
            }
            var plain = NodeId.Of("Plant.Plain", ns);
            server.AddressSpace.AddVariable(NodeId.Of(ObjectIds.ObjectsFolder), new UaVariable(plain, new QualifiedName(ns, "Plain"), "Plain", NodeId.Of(DataTypeIds.Double)))
                .SetValue(new DataValue { Value = Variant.From(1.0), SourceTimestamp = T0 });
            server.Start();
            try
            {
                var client = await OpcUaClient.ConnectAsync($"opc.tcp://127.0.0.1:{server.Port}/freeopcua/server/");
                await client.OpenSessionAsync("history-many");
                return new Plant(server, client, ns, nodes, plain);
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Server.DisposeAsync();
        }
    }
}
