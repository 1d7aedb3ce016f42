using System.Net;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.History;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.History;

/// <summary>HistoryRead of raw values from historizing variables, through our client.</summary>
public sealed class HistoryTests : IAsyncLifetime
{
    private static readonly DateTime T0 = new(2026, 11, 30, 6, 0, 0, DateTimeKind.Utc);
    private OpcUaServer _server = null!;
    private OpcUaClient _client = null!;
    private NodeId _flow = null!;
    private NodeId _plain = null!;

    public async Task InitializeAsync()
    {
        _server = new OpcUaServer(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1" }, history: new MemoryHistoryStore(100, TimeSpan.FromHours(1)));
        var ns = _server.AddressSpace.RegisterNamespace("urn:thermalplant:plant");
        _flow = NodeId.Of("Plant.Flow", ns);
        _plain = NodeId.Of("Plant.Plain", ns);
        var flow = _server.AddressSpace.AddVariable(NodeId.Of(ObjectIds.ObjectsFolder), new UaVariable(_flow, new QualifiedName(ns, "Flow"), "Flow", NodeId.Of(DataTypeIds.Double)) { Historizing = true });
        for (var i = 0; i < 20; i++) flow.SetValue(new DataValue { Value = Variant.From((double)i), SourceTimestamp = T0.AddSeconds(i) });
        // The same sample seen twice (a source polled faster than it samples) is kept once.
        flow.SetValue(new DataValue { Value = Variant.From(19.0), SourceTimestamp = T0.AddSeconds(19) });
        _server.AddressSpace.AddVariable(NodeId.Of(ObjectIds.ObjectsFolder), new UaVariable(_plain, new QualifiedName(ns, "Plain"), "Plain", NodeId.Of(DataTypeIds.Double)))
            .SetValue(new DataValue { Value = Variant.From(1.0), SourceTimestamp = T0 });
        _server.Start();
        _client = await OpcUaClient.ConnectAsync($"opc.tcp://127.0.0.1:{_server.Port}/freeopcua/server/");
        await _client.OpenSessionAsync("history");
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task A_range_is_read_in_pages_through_continuation_points()
    {
        var values = await _client.HistoryReadRawAsync(_flow, T0.AddSeconds(2), T0.AddSeconds(17), valuesPerCall: 4);
        Assert.Equal(Enumerable.Range(2, 16).Select(i => (double)i), values.Select(v => (double)v.Value!.Value!));
        Assert.Equal(T0.AddSeconds(2), values[0].SourceTimestamp);
    }

    [Fact]
    public async Task A_start_after_the_end_reads_newest_first()
    {
        var values = await _client.HistoryReadRawAsync(_flow, T0.AddSeconds(10), T0.AddSeconds(5), valuesPerCall: 4);
        Assert.Equal([10.0, 9.0, 8.0, 7.0, 6.0, 5.0], values.Select(v => (double)v.Value!.Value!));
    }

    [Fact]
    public async Task Bounds_are_the_values_around_the_range_or_BadBoundNotFound()
    {
        var values = await _client.HistoryReadRawAsync(_flow, T0.AddSeconds(4.5), T0.AddSeconds(6.5), returnBounds: true);
        Assert.Equal([4.0, 5.0, 6.0, 7.0], values.Select(v => (double)v.Value!.Value!));

        var early = await _client.HistoryReadRawAsync(_flow, T0.AddSeconds(-10), T0.AddSeconds(0.5), returnBounds: true);
        Assert.Equal(StatusCodes.BadBoundNotFound, early[0].Status.Code);
        Assert.Equal(0.0, early[1].Value!.Value);
        Assert.Equal(1.0, early[2].Value!.Value);
    }

    [Fact]
    public async Task A_count_with_only_a_start_reads_forward_that_many()
    {
        var values = await _client.HistoryReadRawAsync(_flow, T0.AddSeconds(15), DateTime.MinValue, valuesPerCall: 3);
        Assert.Equal([15.0, 16.0, 17.0, 18.0, 19.0], values.Select(v => (double)v.Value!.Value!));
    }

    [Fact]
    public async Task Variables_without_history_and_wrong_arguments_are_refused()
    {
        var error = await Assert.ThrowsAsync<OpcUaException>(() => _client.HistoryReadRawAsync(_plain, T0, T0.AddSeconds(5)));
        Assert.Equal(StatusCodes.BadHistoryOperationUnsupported, error.Status.Code);
        error = await Assert.ThrowsAsync<OpcUaException>(() => _client.HistoryReadRawAsync(_flow, DateTime.MinValue, DateTime.MinValue));
        Assert.Equal(StatusCodes.BadInvalidTimestampArgument, error.Status.Code);
        var empty = await _client.HistoryReadRawAsync(_flow, T0.AddHours(1), T0.AddHours(2));
        Assert.Empty(empty);
    }

    [Fact]
    public async Task Access_level_shows_history_read_where_history_exists()
    {
        var levels = await _client.ReadAsync(
        [
            new ReadValueId { NodeId = _flow, AttributeId = (uint)AttributeId.AccessLevel },
            new ReadValueId { NodeId = _flow, AttributeId = (uint)AttributeId.Historizing },
            new ReadValueId { NodeId = _plain, AttributeId = (uint)AttributeId.AccessLevel },
        ]);
        Assert.Equal((byte)0x05, levels[0].Value!.Value);
        Assert.Equal(true, levels[1].Value!.Value);
        Assert.Equal((byte)0x01, levels[2].Value!.Value);
    }
}
