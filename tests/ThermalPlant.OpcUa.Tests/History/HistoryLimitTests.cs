using System.Net;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.History;
using ThermalPlant.OpcUa.Transport;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.History;

/// <summary>
/// The server bounds every HistoryRead response whatever the client asks: values per node, the message size the client
/// accepts, and continuation points per session. Through our client over loopback.
/// </summary>
public sealed class HistoryLimitTests
{
    private static readonly DateTime T0 = new(2026, 11, 30, 6, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime Epoch = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime Far = new(2100, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task All_values_asked_for_with_0_per_node_come_in_pages_of_the_server_limit()
    {
        await using var plant = await Plant.StartAsync(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1", MaxHistoryValuesPerNode = 50 }, variables: 1, valuesEach: 200);

        var first = await ReadAsync(plant.Client, [new HistoryReadValueId { NodeId = plant.Nodes[0] }]);
        Assert.Equal(50, Values(first[0]).Length);
        Assert.NotNull(first[0].ContinuationPoint);

        var values = new List<double>(Values(first[0]));
        var point = first[0].ContinuationPoint;
        var pages = 1;
        while (point is { Length: > 0 })
        {
            var next = await ReadAsync(plant.Client, [new HistoryReadValueId { NodeId = plant.Nodes[0], ContinuationPoint = point }]);
            Assert.True(Values(next[0]).Length <= 50);
            values.AddRange(Values(next[0]));
            point = next[0].ContinuationPoint;
            pages++;
        }
        Assert.Equal(4, pages);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => Plant.Value(0, i)), values);
    }

    [Fact]
    public async Task A_response_is_cut_at_the_message_size_the_client_accepts_and_the_rest_follows()
    {
        // 10 nodes of 1,000 values (18 bytes each encoded with source timestamps) would be some 180 kB in one response; the client takes 64 kB.
        await using var plant = await Plant.StartAsync(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1" }, variables: 10, valuesEach: 1000,
            new OpcUaClientOptions { Transport = TransportLimits.Default with { MaxMessageSize = 64 * 1024 } });

        var first = await ReadAsync(plant.Client, [.. plant.Nodes.Select(n => new HistoryReadValueId { NodeId = n })]);
        var inFirst = first.Sum(r => Values(r).Length);
        Assert.InRange(inFirst, 1000, 64 * 1024 / 16);
        Assert.Contains(first, r => r.ContinuationPoint is { Length: > 0 });

        var values = plant.Nodes.Select(_ => new List<double>()).ToArray();
        await foreach (var page in plant.Client.HistoryReadRawAsync(plant.Nodes, Epoch, Far, valuesPerNode: 0))
        {
            Assert.True(page.Status.IsGood, page.Status.ToString());
            values[page.Index].AddRange(page.Values.Select(v => (double)v.Value.Value!));
        }
        for (var k = 0; k < plant.Nodes.Length; k++) Assert.Equal(Enumerable.Range(0, 1000).Select(i => Plant.Value(k, i)), values[k]);
    }

    [Fact]
    public async Task A_session_out_of_continuation_points_releases_its_oldest_from_an_earlier_request()
    {
        await using var plant = await Plant.StartAsync(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1", MaxHistoryValuesPerNode = 5, MaxContinuationPoints = 2 }, variables: 4, valuesEach: 20);

        var points = new List<byte[]>();
        for (var k = 0; k < 3; k++)
        {
            var result = (await ReadAsync(plant.Client, [new HistoryReadValueId { NodeId = plant.Nodes[k] }]))[0];
            Assert.Equal(StatusCodes.Good, result.StatusCode.Code);
            points.Add(Assert.IsType<byte[]>(result.ContinuationPoint));
        }

        // The third read took the first read's point; the second's still holds.
        var released = (await ReadAsync(plant.Client, [new HistoryReadValueId { NodeId = plant.Nodes[0], ContinuationPoint = points[0] }]))[0];
        Assert.Equal(StatusCodes.BadContinuationPointInvalid, released.StatusCode.Code);
        var kept = (await ReadAsync(plant.Client, [new HistoryReadValueId { NodeId = plant.Nodes[1], ContinuationPoint = points[1] }]))[0];
        Assert.Equal(Enumerable.Range(5, 5).Select(i => Plant.Value(1, i)), Values(kept));

        // Within one request, points beyond the limit cannot push out each other: the extra node is refused.
        var together = await ReadAsync(plant.Client, [.. plant.Nodes.Select(n => new HistoryReadValueId { NodeId = n })]);
        Assert.Equal(2, together.Count(r => r.ContinuationPoint is { Length: > 0 }));
        Assert.Equal(2, together.Count(r => r.StatusCode.Code == StatusCodes.BadNoContinuationPoints));
    }

    private static async Task<HistoryReadResult[]> ReadAsync(OpcUaClient client, HistoryReadValueId[] nodes)
    {
        var details = ExtensionObject.From(new ReadRawModifiedDetails { StartTime = Epoch, EndTime = Far, NumValuesPerNode = 0 });
        var response = await client.CallAsync<HistoryReadResponse>(new HistoryReadRequest { HistoryReadDetails = details, TimestampsToReturn = TimestampsToReturn.Source, NodesToRead = nodes });
        return response.Results!;
    }

    private static double[] Values(HistoryReadResult result) =>
        result.HistoryData.Decode() is HistoryData data ? [.. (data.DataValues ?? []).Select(v => (double)v.Value.Value!)] : [];

    /// <summary>Our server with historizing variables of one value a second each, and a client with a session.</summary>
    private sealed class Plant : IAsyncDisposable
    {
        private Plant(OpcUaServer server, OpcUaClient client, NodeId[] nodes)
        {
            Server = server;
            Client = client;
            Nodes = nodes;
        }

        public OpcUaServer Server { get; }

        public OpcUaClient Client { get; }

        public NodeId[] Nodes { get; }

        public static double Value(int variable, int index) => (variable * 10_000) + index;

        public static async Task<Plant> StartAsync(OpcUaServerOptions options, int variables, int valuesEach, OpcUaClientOptions? clientOptions = null)
        {
            var server = new OpcUaServer(options, history: new MemoryHistoryStore(valuesEach, TimeSpan.FromDays(1)));
            var ns = server.AddressSpace.RegisterNamespace("urn:thermalplant:plant");
            var nodes = new NodeId[variables];
            for (var k = 0; k < variables; k++)
            {
                nodes[k] = NodeId.Of($"Plant.Var{k}", ns);
                var variable = server.AddressSpace.AddVariable(NodeId.Of(ObjectIds.ObjectsFolder), new UaVariable(nodes[k], new QualifiedName(ns, $"Var{k}"), $"Var{k}", NodeId.Of(DataTypeIds.Double)) { Historizing = true });
                for (var i = 0; i < valuesEach; i++) variable.SetValue(new DataValue { Value = Variant.From(Value(k, i)), SourceTimestamp = T0.AddSeconds(i) });
            }
            server.Start();
            try
            {
                var client = await OpcUaClient.ConnectAsync($"opc.tcp://127.0.0.1:{server.Port}/freeopcua/server/", clientOptions);
                await client.OpenSessionAsync("history-limits");
                return new Plant(server, client, nodes);
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
