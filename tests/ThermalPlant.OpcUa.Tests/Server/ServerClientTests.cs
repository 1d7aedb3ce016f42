using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Transport;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Server;

/// <summary>Our client against our server over loopback sockets.</summary>
public sealed class ServerClientTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _serverTime = new(DateTimeOffset.UtcNow);
    private OpcUaServer _server = null!;
    private ushort _ns;

    private string Url => $"opc.tcp://127.0.0.1:{_server.Port}/freeopcua/server/";

    public Task InitializeAsync()
    {
        _server = new OpcUaServer(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, MaxSessions = 5, HostName = "127.0.0.1" }, _serverTime);
        _ns = _server.AddressSpace.RegisterNamespace("urn:thermalplant:plant");
        var plant = NodeId.Of("Plant", _ns);
        _server.AddressSpace.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), plant, new QualifiedName(_ns, "Plant"));
        var spectrum = NodeId.Of("Plant.Audio.Spectrum", _ns);
        _server.AddressSpace.AddObject(plant, spectrum, new QualifiedName(_ns, "Spectrum"));
        for (var i = 0; i < 25; i++)
        {
            var band = _server.AddressSpace.AddVariable(spectrum, new UaVariable(NodeId.Of($"Plant.Audio.Spectrum.Band_{i}", _ns), new QualifiedName(_ns, $"Band_{i}"), $"Band_{i}", NodeId.Of(DataTypeIds.Double)));
            band.SetValue(new DataValue { Value = Variant.From(-40.0 + i), SourceTimestamp = DateTime.UtcNow });
        }
        _server.AddressSpace.AddVariable(plant, new UaVariable(NodeId.Of("Plant.Setpoint", _ns), new QualifiedName(_ns, "Setpoint"), "Setpoint", NodeId.Of(DataTypeIds.Double))
        {
            AccessLevel = 0x03,
            WriteHandler = v => v.Value!.Value is double d && d is >= 0 and <= 52 ? StatusCode.Good : StatusCodes.BadOutOfRange,
        }).SetValue(new DataValue { Value = Variant.From(10.0) });
        _server.AddressSpace.AddVariable(plant, new UaVariable(NodeId.Of("Plant.Values", _ns), new QualifiedName(_ns, "Values"), "Values", NodeId.Of(DataTypeIds.Double)) { ValueRank = 1 })
            .SetValue(new DataValue { Value = Variant.From([1.0, 2.0, 3.0, 4.0]) });
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_read_is_server_stamped_by_the_servers_clock()
    {
        _serverTime.Advance(TimeSpan.FromHours(3));
        var client = await OpcUaClient.ConnectAsync(Url);
        await client.OpenSessionAsync("clock");
        var values = await client.ReadAsync([new ReadValueId { NodeId = NodeId.Of("Plant.Audio.Spectrum.Band_0", _ns), AttributeId = (uint)AttributeId.Value }], TimestampsToReturn.Server);
        Assert.Equal(_serverTime.GetUtcNow().UtcDateTime, values[0].ServerTimestamp);
        Assert.Null(values[0].SourceTimestamp);
        await client.DisposeAsync();
    }

    [Fact]
    public async Task Client_discovers_opens_a_session_browses_reads_and_closes()
    {
        var client = await OpcUaClient.ConnectAsync(Url);
        var endpoints = await client.GetEndpointsAsync();
        Assert.Equal(Url, endpoints.Single().EndpointUrl);
        await client.OpenSessionAsync("test");
        Assert.Equal(1, _server.SessionCount);

        var objects = await client.BrowseAsync(NodeId.Of(ObjectIds.ObjectsFolder));
        Assert.Contains(objects, r => r.BrowseName.Name == "Server" && r.NodeClass == NodeClass.Object);
        Assert.Contains(objects, r => r.BrowseName.Name == "Plant" && r.TypeDefinition.NodeId == NodeId.Of(ObjectTypeIds.FolderType));

        var band = await client.ReadValueAsync(NodeId.Of("Plant.Audio.Spectrum.Band_3", _ns));
        Assert.Equal(-37.0, band.Value!.Value);
        Assert.True(band.Status.IsGood);
        Assert.NotNull(band.SourceTimestamp);

        await client.CloseAsync();
        Assert.Equal(0, _server.SessionCount);
    }

    [Fact]
    public async Task Browse_beyond_the_requested_maximum_continues_with_browse_next()
    {
        await using var client = await Session();
        var bands = await client.BrowseAsync(NodeId.Of("Plant.Audio.Spectrum", _ns), maxReferencesPerCall: 10);
        Assert.Equal(25, bands.Length);
        Assert.Equal(25, bands.Select(b => b.BrowseName.Name).Distinct().Count());
    }

    [Fact]
    public async Task Failed_operations_are_statuses_in_their_results()
    {
        await using var client = await Session();
        var results = await client.ReadAsync(
        [
            new ReadValueId { NodeId = NodeId.Of("Plant.Nowhere", _ns), AttributeId = (uint)AttributeId.Value },
            new ReadValueId { NodeId = NodeId.Of("Plant", _ns), AttributeId = (uint)AttributeId.Value },
            new ReadValueId { NodeId = NodeId.Of("Plant", _ns), AttributeId = 999 },
            new ReadValueId { NodeId = NodeId.Of("Plant.Values", _ns), AttributeId = (uint)AttributeId.Value, IndexRange = "1:2" },
            new ReadValueId { NodeId = NodeId.Of("Plant.Values", _ns), AttributeId = (uint)AttributeId.Value, IndexRange = "2:1" },
            new ReadValueId { NodeId = NodeId.Of("Plant", _ns), AttributeId = (uint)AttributeId.BrowseName },
            new ReadValueId { NodeId = NodeId.Of(VariableIds.Server_NamespaceArray), AttributeId = (uint)AttributeId.Value },
        ]);
        Assert.Equal(StatusCodes.BadNodeIdUnknown, results[0].Status.Code);
        Assert.Equal(StatusCodes.BadAttributeIdInvalid, results[1].Status.Code);
        Assert.Equal(StatusCodes.BadAttributeIdInvalid, results[2].Status.Code);
        Assert.Equal(new[] { 2.0, 3.0 }, (double[])results[3].Value!.Value!);
        Assert.Equal(StatusCodes.BadIndexRangeInvalid, results[4].Status.Code);
        Assert.Equal(new QualifiedName(_ns, "Plant"), results[5].Value!.Value);
        Assert.Contains("urn:thermalplant:plant", (string?[])results[6].Value!.Value!);
    }

    [Fact]
    public async Task Writes_are_checked_for_access_type_and_by_the_host()
    {
        await using var client = await Session();
        var setpoint = NodeId.Of("Plant.Setpoint", _ns);
        Assert.True((await client.WriteValueAsync(setpoint, Variant.From(21.0))).IsGood);
        Assert.Equal(21.0, (await client.ReadValueAsync(setpoint)).Value!.Value);
        Assert.Equal(StatusCodes.BadOutOfRange, (await client.WriteValueAsync(setpoint, Variant.From(99.0))).Code);
        Assert.Equal(StatusCodes.BadTypeMismatch, (await client.WriteValueAsync(setpoint, Variant.From("21"))).Code);
        Assert.Equal(StatusCodes.BadNotWritable, (await client.WriteValueAsync(NodeId.Of("Plant.Values", _ns), Variant.From([1.0]))).Code);
        Assert.Equal(StatusCodes.BadNodeIdUnknown, (await client.WriteValueAsync(NodeId.Of("Plant.None", _ns), Variant.From(1.0))).Code);
        Assert.Equal(21.0, (await client.ReadValueAsync(setpoint)).Value!.Value);
    }

    [Fact]
    public async Task Browse_paths_translate_to_node_ids()
    {
        await using var client = await Session();
        var band = await client.TranslateAsync(NodeId.Of(ObjectIds.ObjectsFolder), [new QualifiedName(_ns, "Plant"), new QualifiedName(_ns, "Spectrum"), new QualifiedName(_ns, "Band_7")]);
        Assert.Equal(NodeId.Of("Plant.Audio.Spectrum.Band_7", _ns), band);
        var error = await Assert.ThrowsAsync<OpcUaException>(() => client.TranslateAsync(NodeId.Of(ObjectIds.ObjectsFolder), [new QualifiedName(_ns, "Nowhere")]));
        Assert.Equal(StatusCodes.BadNoMatch, error.Status.Code);
        var current = await client.TranslateAsync(NodeId.Of(ObjectIds.ObjectsFolder), [new QualifiedName(0, "Server"), new QualifiedName(0, "ServerStatus"), new QualifiedName(0, "CurrentTime")]);
        Assert.Equal(NodeId.Of(VariableIds.Server_ServerStatus_CurrentTime), current);
    }

    [Fact]
    public async Task Server_status_and_operation_limits_are_served()
    {
        await using var client = await Session();
        var values = await client.ReadAsync(
        [
            new ReadValueId { NodeId = NodeId.Of(VariableIds.Server_ServerStatus_State), AttributeId = (uint)AttributeId.Value },
            new ReadValueId { NodeId = NodeId.Of(VariableIds.Server_ServerStatus_CurrentTime), AttributeId = (uint)AttributeId.Value },
            new ReadValueId { NodeId = NodeId.Of(VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead), AttributeId = (uint)AttributeId.Value },
            new ReadValueId { NodeId = NodeId.Of(VariableIds.Server_ServerStatus), AttributeId = (uint)AttributeId.Value },
            new ReadValueId { NodeId = NodeId.Of(VariableIds.Server_ServerStatus_BuildInfo_ProductName), AttributeId = (uint)AttributeId.Value },
        ]);
        Assert.Equal((int)ServerState.Running, values[0].Value!.Value);
        Assert.Equal(_serverTime.GetUtcNow().UtcDateTime, (DateTime)values[1].Value!.Value!, TimeSpan.FromSeconds(1));
        Assert.Equal(10_000u, values[2].Value!.Value);
        var status = (ExtensionObject)values[3].Value!.Value!;
        var decoder = new BinaryDecoder(status.Body.Span);
        Assert.Equal(ServerState.Running, ServerStatusDataType.Decode(ref decoder).State);
        Assert.Equal("Thermal Plant OPC UA Server", values[4].Value!.Value);
    }

    [Fact]
    public async Task Requests_without_an_activated_session_are_refused()
    {
        await using var client = await OpcUaClient.ConnectAsync(Url);
        var error = await Assert.ThrowsAsync<OpcUaException>(() => client.ReadValueAsync(NodeId.Of(ObjectIds.ObjectsFolder)));
        Assert.Equal(StatusCodes.BadSessionIdInvalid, error.Status.Code);
    }

    [Fact]
    public async Task An_idle_session_times_out()
    {
        await using var client = await Session();
        _serverTime.Advance(TimeSpan.FromMinutes(2));
        var error = await Assert.ThrowsAsync<OpcUaException>(() => client.ReadValueAsync(NodeId.Of("Plant.Values", _ns)));
        Assert.Equal(StatusCodes.BadSessionIdInvalid, error.Status.Code);
    }

    [Fact]
    public async Task Sessions_beyond_the_limit_are_refused()
    {
        var clients = new List<OpcUaClient>();
        try
        {
            for (var i = 0; i < 5; i++) clients.Add(await Session());
            var extra = await OpcUaClient.ConnectAsync(Url);
            clients.Add(extra);
            var error = await Assert.ThrowsAsync<OpcUaException>(() => extra.OpenSessionAsync("sixth"));
            Assert.Equal(StatusCodes.BadTooManySessions, error.Status.Code);
        }
        finally
        {
            foreach (var client in clients) await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task Many_connections_are_served_concurrently()
    {
        var reads = Enumerable.Range(0, 4).Select(async i =>
        {
            await using var client = await Session();
            for (var n = 0; n < 20; n++)
            {
                var value = await client.ReadValueAsync(NodeId.Of($"Plant.Audio.Spectrum.Band_{(i + n) % 25}", _ns));
                Assert.True(value.Status.IsGood);
            }
        });
        await Task.WhenAll(reads);
    }

    [Theory]
    [InlineData("474554202F20485454502F312E310D0A0D0A", StatusCodes.BadTcpMessageTypeInvalid)]
    [InlineData("48454C46" + "00000001", StatusCodes.BadTcpMessageTooLarge)]
    [InlineData("4D534746" + "20000000", StatusCodes.BadTcpMessageTypeInvalid)]
    public async Task Garbage_gets_an_error_message_and_the_server_goes_on(string hex, uint expected)
    {
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, _server.Port);
            var stream = tcp.GetStream();
            await stream.WriteAsync(Convert.FromHexString(hex));
            var header = new byte[8];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await stream.ReadExactlyAsync(header, timeout.Token);
            var parsed = MessageHeader.Read(header);
            Assert.Equal(MessageType.Error, parsed.Type);
            var body = new byte[parsed.Size - 8];
            await stream.ReadExactlyAsync(body, timeout.Token);
            Assert.Equal(expected, ErrorMessage.Decode(body).Status.Code);
            Assert.Equal(0, await stream.ReadAsync(new byte[1], timeout.Token));
        }
        await using var client = await Session();
        Assert.True((await client.ReadValueAsync(NodeId.Of("Plant.Values", _ns))).Status.IsGood);
    }

    [Fact]
    public async Task A_chunk_bigger_than_the_negotiated_buffer_is_refused_before_it_is_read()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _server.Port);
        var stream = tcp.GetStream();
        using var hello = new BinaryEncoder();
        new HelloMessage(0, new TransportLimits { ReceiveBufferSize = 8192, SendBufferSize = 8192 }, Url).Encode(hello);
        var frame = new byte[8 + hello.Length];
        new MessageHeader(MessageType.Hello, ChunkType.Final, (uint)frame.Length).Write(frame);
        hello.Written.CopyTo(frame.AsSpan(8));
        await stream.WriteAsync(frame);
        var ackHeader = new byte[8];
        await stream.ReadExactlyAsync(ackHeader);
        await stream.ReadExactlyAsync(new byte[MessageHeader.Read(ackHeader).Size - 8]);

        var huge = new byte[8];
        new MessageHeader(MessageType.OpenSecureChannel, ChunkType.Final, 100_000_000).Write(huge);
        await stream.WriteAsync(huge);
        var errorHeader = new byte[8];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await stream.ReadExactlyAsync(errorHeader, timeout.Token);
        var body = new byte[MessageHeader.Read(errorHeader).Size - 8];
        await stream.ReadExactlyAsync(body, timeout.Token);
        Assert.Equal(StatusCodes.BadTcpMessageTooLarge, ErrorMessage.Decode(body).Status.Code);
    }

    [Theory]
    [InlineData(8192u)]
    [InlineData(65535u)]
    public async Task A_read_of_a_thousand_values_in_one_large_chunk_or_in_many_is_answered_and_small_reads_go_on(uint bufferSize)
    {
        // With 8 KB buffers the request (about 50 KB) comes in seven chunks; with 64 KB in one, for which the server's
        // reader grows its buffer beyond its initial 8 KB and then gives the larger one back.
        var options = new OpcUaClientOptions { Transport = new TransportLimits { ReceiveBufferSize = bufferSize, SendBufferSize = bufferSize } };
        await using var client = await OpcUaClient.ConnectAsync(Url, options);
        await client.OpenSessionAsync("large");
        var nodes = Enumerable.Range(0, 1000).Select(i => new ReadValueId { NodeId = NodeId.Of($"Plant.Audio.Spectrum.Band_{i % 25}", _ns), AttributeId = (uint)AttributeId.Value }).ToArray();

        for (var round = 0; round < 3; round++)
        {
            var values = await client.ReadAsync(nodes);
            Assert.Equal(Enumerable.Range(0, 1000).Select(i => -40.0 + (i % 25)), values.Select(v => (double)v.Value!.Value!));
            Assert.Equal(-40.0, (await client.ReadValueAsync(NodeId.Of("Plant.Audio.Spectrum.Band_0", _ns))).Value!.Value);
        }
    }

    private async Task<OpcUaClient> Session()
    {
        var client = await OpcUaClient.ConnectAsync(Url);
        await client.OpenSessionAsync("test");
        return client;
    }
}
