using System.Net;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Events;
using ThermalPlant.OpcUa.Server.History;
using ThermalPlant.OpcUa.Types;
using static ThermalPlant.OpcUa.Client.EventFilters;

namespace ThermalPlant.OpcUa.Tests.History;

/// <summary>HistoryRead of events (ReadEventDetails) from the events the server raised, through our client.</summary>
public sealed class EventHistoryTests : IAsyncLifetime
{
    private static readonly DateTime T0 = new(2026, 11, 30, 6, 0, 0, DateTimeKind.Utc);

    private OpcUaServer _server = null!;
    private OpcUaClient _client = null!;
    private NodeId _plant = NodeId.Null;
    private NodeId _temperature = NodeId.Null;
    private NodeId _elsewhere = NodeId.Null;

    public async Task InitializeAsync()
    {
        _server = new OpcUaServer(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1", MaxHistoryValuesPerNode = 7 },
            eventHistory: new MemoryEventHistoryStore(1000, TimeSpan.FromDays(1)));
        var space = _server.AddressSpace;
        var ns = space.RegisterNamespace("urn:thermalplant:plant");
        _plant = NodeId.Of("Plant", ns);
        _temperature = NodeId.Of("Plant.Temperature", ns);
        _elsewhere = NodeId.Of("Elsewhere", ns);
        space.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), _plant, new QualifiedName(ns, "Plant"));
        space.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), _elsewhere, new QualifiedName(ns, "Elsewhere"));
        space.AddVariable(_plant, new UaVariable(_temperature, new QualifiedName(ns, "Temperature"), "Temperature", NodeId.Of(DataTypeIds.Double)));
        _server.Events.MakeNotifier(_plant);
        space.AddReference(NodeId.Of(ObjectIds.Server), ReferenceTypeIds.HasNotifier, _plant);
        space.AddReference(_plant, ReferenceTypeIds.HasEventSource, _temperature);
        // 20 events of the plant's temperature one second apart, severities 100 to 1000 in steps, and 5 from elsewhere.
        for (var i = 0; i < 20; i++)
        {
            _server.Events.Raise(new UaEvent(NodeId.Of(ObjectTypeIds.SystemEventType))
            {
                SourceNode = _temperature,
                SourceName = "Plant/Temperature",
                Time = T0.AddSeconds(i),
                Severity = (ushort)(100 + (50 * i)),
                Message = new LocalizedText(null, $"plant {i}"),
            });
        }
        for (var i = 0; i < 5; i++)
        {
            _server.Events.Raise(new UaEvent(NodeId.Of(ObjectTypeIds.DeviceFailureEventType))
            {
                SourceNode = _elsewhere,
                SourceName = "Elsewhere",
                Time = T0.AddSeconds(i + 0.5),
                Severity = 900,
                Message = new LocalizedText(null, $"elsewhere {i}"),
            });
        }
        _server.Start();
        _client = await OpcUaClient.ConnectAsync($"opc.tcp://127.0.0.1:{_server.Port}/freeopcua/server/");
        await _client.OpenSessionAsync("event-history");
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static EventFilter MessageAndTime(ContentFilter? where = null) => Select([Field("Message"), Field("Time"), Field("SourceName"), Field("EventId")], where);

    private static string Text(Variant[] fields) => ((LocalizedText)fields[0].Value!).Text!;

    [Fact]
    public async Task A_notifier_gives_its_events_in_time_order_in_pages_with_the_selected_fields()
    {
        var events = await _client.HistoryReadEventsAsync(_plant, MessageAndTime(), T0.AddSeconds(2), T0.AddSeconds(17), eventsPerCall: 4);

        Assert.Equal(Enumerable.Range(2, 16).Select(i => $"plant {i}"), events.Select(Text));
        Assert.Equal(T0.AddSeconds(2), events[0][1].AsDateTime());
        Assert.All(events, e => Assert.Equal("Plant/Temperature", e[2].Value));
        Assert.All(events, e => Assert.Equal(16, ((byte[])e[3].Value!).Length));
    }

    [Fact]
    public async Task The_Server_object_gives_every_event_and_a_start_after_the_end_reads_newest_first()
    {
        var all = await _client.HistoryReadEventsAsync(NodeId.Of(ObjectIds.Server), MessageAndTime(), T0, T0.AddSeconds(3));
        Assert.Equal(["plant 0", "elsewhere 0", "plant 1", "elsewhere 1", "plant 2", "elsewhere 2", "plant 3"], all.Select(Text));

        var backwards = await _client.HistoryReadEventsAsync(_plant, MessageAndTime(), T0.AddSeconds(10), T0.AddSeconds(5), eventsPerCall: 2);
        Assert.Equal([10, 9, 8, 7, 6, 5], backwards.Select(e => int.Parse(Text(e)[6..], System.Globalization.CultureInfo.InvariantCulture)));

        var newestFirst = await _client.HistoryReadEventsAsync(_plant, MessageAndTime(), DateTime.MinValue, T0.AddHours(1), eventsPerCall: 3);
        Assert.Equal(20, newestFirst.Length);
        Assert.Equal("plant 19", Text(newestFirst[0]));
    }

    [Fact]
    public async Task The_where_clause_picks_the_events_and_the_server_caps_a_page()
    {
        var severe = MessageAndTime(new ContentFilter
        {
            Elements =
            [
                Element(FilterOperator.And, ElementAt(1), ElementAt(2)),
                Element(FilterOperator.GreaterThanOrEqual, Operand(Field("Severity")), Literal(Variant.From((ushort)800))),
                Element(FilterOperator.OfType, Literal(new Variant(BuiltInType.NodeId, NodeId.Of(ObjectTypeIds.SystemEventType)))),
            ],
        });
        var events = await _client.HistoryReadEventsAsync(NodeId.Of(ObjectIds.Server), severe, T0, T0.AddHours(1));
        // Severity 100 + 50 i >= 800 from i = 14; the DeviceFailure events elsewhere are SystemEvents too (900).
        Assert.Equal(6 + 5, events.Length);
        Assert.Equal(6, events.Count(e => Text(e).StartsWith("plant", StringComparison.Ordinal)));

        // All events asked for (0 per node): the server gives MaxHistoryValuesPerNode (7) and a continuation point.
        var response = await _client.CallAsync<HistoryReadResponse>(new HistoryReadRequest
        {
            HistoryReadDetails = ExtensionObject.From(new ReadEventDetails { StartTime = T0, EndTime = T0.AddHours(1), Filter = MessageAndTime() }),
            NodesToRead = [new HistoryReadValueId { NodeId = _plant }],
        });
        var page = Assert.IsType<HistoryEvent>(response.Results![0].HistoryData.Decode());
        Assert.Equal(7, page.Events!.Length);
        Assert.NotNull(response.Results[0].ContinuationPoint);
    }

    [Fact]
    public async Task Bad_filters_nodes_and_times_are_refused_with_their_status()
    {
        async Task<uint> Status(NodeId node, EventFilter filter, DateTime start, DateTime end) =>
            (await Assert.ThrowsAnyAsync<OpcUaException>(() => _client.HistoryReadEventsAsync(node, filter, start, end))).Status.Code;

        Assert.Equal(StatusCodes.BadEventFilterInvalid, await Status(_plant, new EventFilter { SelectClauses = [], WhereClause = new ContentFilter { Elements = [] } }, T0, T0.AddHours(1)));
        var unknownType = MessageAndTime(new ContentFilter { Elements = [Element(FilterOperator.OfType, Literal(new Variant(BuiltInType.NodeId, NodeId.Of("NoSuchType", 2))))] });
        Assert.Equal(StatusCodes.BadEventFilterInvalid, await Status(_plant, unknownType, T0, T0.AddHours(1)));
        Assert.Equal(StatusCodes.BadNodeIdUnknown, await Status(NodeId.Of("Nowhere", 2), MessageAndTime(), T0, T0.AddHours(1)));
        Assert.Equal(StatusCodes.BadHistoryOperationUnsupported, await Status(_temperature, MessageAndTime(), T0, T0.AddHours(1)));
        Assert.Equal(StatusCodes.BadHistoryOperationUnsupported, await Status(_elsewhere, MessageAndTime(), T0, T0.AddHours(1)));
        var fault = await Assert.ThrowsAsync<OpcUaException>(() => _client.HistoryReadEventsAsync(_plant, MessageAndTime(), DateTime.MinValue, DateTime.MinValue));
        Assert.Equal(StatusCodes.BadInvalidTimestampArgument, fault.Status.Code);

        // A select clause the types do not have is Null, the rest is read.
        var events = await _client.HistoryReadEventsAsync(_plant, Select([Field("Message"), Field("NoSuchField")]), T0, T0);
        Assert.True(Assert.Single(events)[1].IsNull);
        Assert.Empty(await _client.HistoryReadEventsAsync(_plant, MessageAndTime(), T0.AddDays(1), T0.AddDays(2)));
    }

    [Fact]
    public async Task A_bad_filter_answers_each_node_with_the_clause_that_failed_and_why()
    {
        var unknownType = MessageAndTime(new ContentFilter
        {
            Elements =
            [
                Element(FilterOperator.And, ElementAt(1), ElementAt(2)),
                Element(FilterOperator.OfType, Literal(new Variant(BuiltInType.NodeId, NodeId.Of("NoSuchType", 2)))),
                Element(FilterOperator.GreaterThanOrEqual, Operand(Field("Severity")), Literal(Variant.From((ushort)100))),
            ],
        });
        var response = await _client.CallAsync<HistoryReadResponse>(new HistoryReadRequest
        {
            HistoryReadDetails = ExtensionObject.From(new ReadEventDetails { StartTime = T0, EndTime = T0.AddHours(1), Filter = unknownType }),
            NodesToRead = [new HistoryReadValueId { NodeId = _plant }, new HistoryReadValueId { NodeId = _temperature }],
        });

        Assert.Equal(2, response.Results!.Length);
        foreach (var result in response.Results)
        {
            Assert.Equal(StatusCodes.BadEventFilterInvalid, result.StatusCode.Code);
            var filterResult = Assert.IsType<EventFilterResult>(result.HistoryData.Decode());
            var elements = filterResult.WhereClauseResult.ElementResults!;
            Assert.Equal([StatusCode.Good.Code, StatusCodes.BadFilterOperandInvalid, StatusCode.Good.Code], elements.Select(e => e.StatusCode.Code));
            Assert.Equal([StatusCodes.BadFilterOperandInvalid], elements[1].OperandStatusCodes!.Select(s => s.Code));
        }
    }

    [Fact]
    public async Task Our_client_reports_a_refused_history_filter_with_the_clause_that_failed()
    {
        var unknownType = MessageAndTime(new ContentFilter
        {
            Elements = [Element(FilterOperator.OfType, Literal(new Variant(BuiltInType.NodeId, NodeId.Of("NoSuchType", 2))))],
        });
        var error = await Assert.ThrowsAsync<EventFilterRefusedException>(() => _client.HistoryReadEventsAsync(_plant, unknownType, T0, T0.AddHours(1)));
        Assert.Equal(StatusCodes.BadEventFilterInvalid, error.Status.Code);
        Assert.Equal([StatusCodes.BadFilterOperandInvalid], error.FilterResult.WhereClauseResult.ElementResults!.Select(e => e.StatusCode.Code));
        Assert.Contains("where element 0: BadFilterOperandInvalid", error.Message, StringComparison.Ordinal);
        // A refusal that is not the filter's stays a plain OpcUaException.
        var unknown = await Assert.ThrowsAsync<OpcUaException>(() => _client.HistoryReadEventsAsync(NodeId.Of("NoSuchNode", 2), MessageAndTime(), T0, T0.AddHours(1)));
        Assert.IsNotType<EventFilterRefusedException>(unknown);
    }

    [Fact]
    public async Task A_continuation_point_goes_on_after_the_last_event_even_when_events_arrive_in_between()
    {
        var response = await _client.CallAsync<HistoryReadResponse>(new HistoryReadRequest
        {
            HistoryReadDetails = ExtensionObject.From(new ReadEventDetails { StartTime = T0, EndTime = T0.AddHours(1), NumValuesPerNode = 5, Filter = MessageAndTime() }),
            NodesToRead = [new HistoryReadValueId { NodeId = _plant }],
        });
        var point = response.Results![0].ContinuationPoint;
        Assert.NotNull(point);
        // An event older than the page read so far lands before the point and is not repeated; a newer one is read.
        _server.Events.Raise(new UaEvent(NodeId.Of(ObjectTypeIds.SystemEventType)) { SourceNode = _temperature, Time = T0.AddSeconds(1.5), Message = new LocalizedText(null, "late") });
        _server.Events.Raise(new UaEvent(NodeId.Of(ObjectTypeIds.SystemEventType)) { SourceNode = _temperature, Time = T0.AddSeconds(30), Message = new LocalizedText(null, "new") });

        var rest = new List<string>();
        while (point is { Length: > 0 })
        {
            var next = await _client.CallAsync<HistoryReadResponse>(new HistoryReadRequest
            {
                HistoryReadDetails = ExtensionObject.From(new ReadEventDetails { StartTime = T0, EndTime = T0.AddHours(1), NumValuesPerNode = 5, Filter = MessageAndTime() }),
                NodesToRead = [new HistoryReadValueId { NodeId = _plant, ContinuationPoint = point }],
            });
            rest.AddRange(Assert.IsType<HistoryEvent>(next.Results![0].HistoryData.Decode()).Events!.Select(e => Text(e.EventFields!)));
            point = next.Results[0].ContinuationPoint;
        }
        Assert.Equal([.. Enumerable.Range(5, 15).Select(i => $"plant {i}"), "new"], rest);
    }
}
