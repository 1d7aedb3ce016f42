using System.Net;
using Microsoft.Extensions.Time.Testing;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Events;
using ThermalPlant.OpcUa.Types;
using static ThermalPlant.OpcUa.Client.EventFilters;

namespace ThermalPlant.OpcUa.Tests.Events;

/// <summary>Event subscriptions of our server through our client: notifiers, select and where clauses, bad filters and queue overflow.</summary>
public sealed class EventSubscriptionTests : IAsyncLifetime
{
    private static readonly OpcUaClientOptions Options = new()
    {
        RequestTimeout = TimeSpan.FromSeconds(5),
        KeepAliveInterval = TimeSpan.FromMilliseconds(300),
        ReconnectMinDelay = TimeSpan.FromMilliseconds(100),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(300),
    };

    private static readonly SubscriptionSettings Fast = new() { PublishingInterval = 50, MaxKeepAliveCount = 10 };

    private OpcUaServer _server = null!;
    private OpcUaClient _client = null!;
    private NodeId _plant = NodeId.Null;
    private NodeId _temperature = NodeId.Null;
    private NodeId _elsewhere = NodeId.Null;
    private NodeId _quiet = NodeId.Null;

    public async Task InitializeAsync()
    {
        _server = StartServer(TimeProvider.System);
        _client = await OpcUaClient.ConnectAsync($"opc.tcp://127.0.0.1:{_server.Port}/freeopcua/server/", Options);
        await _client.OpenSessionAsync("events");
    }

    /// <summary>A server with the plant's notifiers on <paramref name="time"/>; every server here has the same node ids.</summary>
    private OpcUaServer StartServer(TimeProvider time)
    {
        var server = new OpcUaServer(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1" }, time);
        var space = server.AddressSpace;
        var ns = space.RegisterNamespace("urn:thermalplant:plant");
        _plant = NodeId.Of("Plant", ns);
        _temperature = NodeId.Of("Plant.Temperature", ns);
        _elsewhere = NodeId.Of("Elsewhere", ns);
        _quiet = NodeId.Of("Quiet", ns);
        space.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), _plant, new QualifiedName(ns, "Plant"));
        space.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), _elsewhere, new QualifiedName(ns, "Elsewhere"));
        space.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), _quiet, new QualifiedName(ns, "Quiet"));
        space.AddVariable(_plant, new UaVariable(_temperature, new QualifiedName(ns, "Temperature"), "Temperature", NodeId.Of(DataTypeIds.Double)));
        server.Events.MakeNotifier(_plant);
        server.Events.MakeNotifier(_elsewhere);
        space.AddReference(NodeId.Of(ObjectIds.Server), ReferenceTypeIds.HasNotifier, _plant);
        space.AddReference(_plant, ReferenceTypeIds.HasEventSource, _temperature);
        server.Start();
        return server;
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task The_Server_object_and_the_plant_folder_are_event_notifiers_and_other_objects_are_not()
    {
        var values = await _client.ReadAsync([Notifier(NodeId.Of(ObjectIds.Server)), Notifier(_plant), Notifier(_quiet)]);

        // SubscribeToEvents and HistoryRead: every event raised is recorded in the event history.
        Assert.Equal([Variant.From((byte)5), Variant.From((byte)5), Variant.From((byte)0)], values.Select(v => v.Value));
    }

    [Fact]
    public async Task An_event_arrives_with_the_fields_UaExpert_selects_in_their_order()
    {
        await using var subscription = await _client.CreateSubscriptionAsync(Fast);
        var items = await subscription.AddAsync([MonitoredItemRequest.Events(NodeId.Of(ObjectIds.Server), UaExpertFilter())]);
        Assert.True(items[0].Status.IsGood);
        Assert.Null(items[0].EventFilterResult);
        using var events = new EventCollector(subscription);
        var time = new DateTime(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);

        _server.Events.Raise(new UaEvent(NodeId.Of(ObjectTypeIds.SystemEventType)) { SourceNode = _temperature, SourceName = "Plant/Temperature", Time = time, Message = "too hot", Severity = 700 });

        var fields = (await events.WaitForAsync(1))[0].Fields;
        Assert.Equal(10, fields.Length);
        Assert.Equal(16, ((byte[])fields[0].Value!).Length);
        Assert.Equal(NodeId.Of(ObjectTypeIds.SystemEventType), fields[1].Value);
        Assert.Equal(_temperature, fields[2].Value);
        Assert.Equal("Plant/Temperature", fields[3].Value);
        Assert.Equal(time, fields[4].Value);
        Assert.True(fields[5].AsDateTime() > time);
        Assert.Equal("too hot", ((LocalizedText)fields[6].Value!).Text);
        Assert.Equal(Variant.From((ushort)700), fields[7]);
        // Not a condition: the ConditionId and the condition's fields are Null.
        Assert.True(fields[8].IsNull);
        Assert.True(fields[9].IsNull);
    }

    [Fact]
    public async Task A_notifier_reports_the_events_of_its_sources_and_the_Server_object_reports_all()
    {
        await using var subscription = await _client.CreateSubscriptionAsync(Fast);
        var items = await subscription.AddAsync(
        [
            MonitoredItemRequest.Events(NodeId.Of(ObjectIds.Server), Select([Field("SourceName")])),
            MonitoredItemRequest.Events(_plant, Select([Field("SourceName")])),
            MonitoredItemRequest.Events(_elsewhere, Select([Field("SourceName")])),
        ]);
        Assert.All(items, i => Assert.True(i.Status.IsGood));
        using var events = new EventCollector(subscription);

        Raise(_temperature, "temperature", 500);
        Raise(_elsewhere, "elsewhere", 500);
        Raise(_quiet, "quiet", 500);
        // An item's events arrive in the order raised: once the last ones reached every item, nothing raised before
        // them can still come.
        Raise(_temperature, "end", 500);
        Raise(_elsewhere, "end", 500);

        var got = await events.WaitUntilAsync(arrived => arrived.Count(e => Equals(e.Fields[0].Value, "end")) == 4, "the last events on every item");
        string[] Names(MonitoredNode item) => [.. got.Where(e => e.Item == item).Select(e => (string)e.Fields[0].Value!)];
        Assert.Equal(["temperature", "elsewhere", "quiet", "end", "end"], Names(items[0]));
        Assert.Equal(["temperature", "end"], Names(items[1]));
        Assert.Equal(["elsewhere", "end"], Names(items[2]));
    }

    [Fact]
    public async Task The_where_clause_passes_only_the_events_it_describes()
    {
        // OfType(SystemEventType) And (Severity >= 500 And Not(SourceName InList ["ignored", "muted"])), or any event of severity 1000.
        var where = new ContentFilter
        {
            Elements =
            [
                Element(FilterOperator.Or, ElementAt(1), ElementAt(6)),
                Element(FilterOperator.And, ElementAt(2), ElementAt(3)),
                Element(FilterOperator.OfType, Literal(new Variant(BuiltInType.NodeId, NodeId.Of(ObjectTypeIds.SystemEventType)))),
                Element(FilterOperator.And, ElementAt(4), ElementAt(5)),
                Element(FilterOperator.GreaterThanOrEqual, Operand(Field("Severity")), Literal(Variant.From(500))),
                Element(FilterOperator.Not, ElementAt(7)),
                Element(FilterOperator.Equals, Operand(Field("Severity")), Literal(Variant.From((ushort)1000))),
                Element(FilterOperator.InList, Operand(Field("SourceName")), Literal(Variant.From("ignored")), Literal(Variant.From("muted"))),
            ],
        };
        await using var subscription = await _client.CreateSubscriptionAsync(Fast);
        var items = await subscription.AddAsync([MonitoredItemRequest.Events(NodeId.Of(ObjectIds.Server), Select([Field("SourceName")], where))]);
        Assert.True(items[0].Status.IsGood, items[0].Status.ToString());
        using var events = new EventCollector(subscription);

        Raise(_temperature, "low", 499);
        Raise(_temperature, "ignored", 900);
        Raise(_temperature, "passes", 500);
        Raise(_temperature, "base-type", 800, ObjectTypeIds.BaseEventType);
        Raise(_temperature, "critical-base-type", 1000, ObjectTypeIds.BaseEventType);
        Raise(_temperature, "muted", 600);
        // Passes the filter, and arrives after every event raised before it.
        Raise(_temperature, "end", 500);

        var got = await events.WaitUntilAsync(arrived => arrived.Any(e => Equals(e.Fields[0].Value, "end")), "the last event");
        Assert.Equal(["passes", "critical-base-type", "end"], got.Select(e => (string)e.Fields[0].Value!));
    }

    [Fact]
    public async Task Items_of_several_clients_with_the_same_filter_get_the_same_events_and_other_filters_their_own()
    {
        // The items with the same filter share one compiled filter, so each event is selected and encoded once for them all.
        await using var other = await OpcUaClient.ConnectAsync($"opc.tcp://127.0.0.1:{_server.Port}/freeopcua/server/", Options);
        await other.OpenSessionAsync("events-2");
        var severe = Select([Field("SourceName"), Field("Severity"), Field("EventId")],
            new ContentFilter { Elements = [Element(FilterOperator.GreaterThanOrEqual, Operand(Field("Severity")), Literal(Variant.From(500)))] });
        await using var first = await _client.CreateSubscriptionAsync(Fast);
        await using var second = await other.CreateSubscriptionAsync(Fast);
        var firstItems = await first.AddAsync([MonitoredItemRequest.Events(NodeId.Of(ObjectIds.Server), UaExpertFilter()), MonitoredItemRequest.Events(_plant, severe)]);
        var secondItems = await second.AddAsync([MonitoredItemRequest.Events(NodeId.Of(ObjectIds.Server), UaExpertFilter()), MonitoredItemRequest.Events(NodeId.Of(ObjectIds.Server), severe)]);
        Assert.All(firstItems.Concat(secondItems), i => Assert.True(i.Status.IsGood));
        using var firstEvents = new EventCollector(first);
        using var secondEvents = new EventCollector(second);

        Raise(_temperature, "low", 100);
        Raise(_temperature, "high", 600);
        Raise(_elsewhere, "elsewhere", 900);
        // Reaches all four items (a source of the plant, severe), after every event raised before it.
        Raise(_temperature, "end", 1000);

        static bool End(EventNotification e) => e.Fields.Any(f => Equals(f.Value, "end"));
        var firstGot = await firstEvents.WaitUntilAsync(arrived => arrived.Count(End) == 2, "the last event on both items");
        var secondGot = await secondEvents.WaitUntilAsync(arrived => arrived.Count(End) == 2, "the last event on both items");
        static Variant[][] Of(List<EventNotification> events, MonitoredNode item) => [.. events.Where(e => e.Item == item).Select(e => e.Fields)];
        static string Text(Variant[] fields) => string.Join('|', fields.Select(v => v.Value is byte[] bytes ? Convert.ToHexString(bytes) : v.Value?.ToString()));
        var all = Of(firstGot, firstItems[0]);
        Assert.Equal(4, all.Length);
        Assert.Equal(all.Select(Text), Of(secondGot, secondItems[0]).Select(Text));
        Assert.Equal(["high", "end"], Of(firstGot, firstItems[1]).Select(f => (string)f[0].Value!));
        var severeAll = Of(secondGot, secondItems[1]);
        Assert.Equal(["high", "elsewhere", "end"], severeAll.Select(f => (string)f[0].Value!));
        Assert.Equal([(ushort)600, (ushort)900, (ushort)1000], severeAll.Select(f => (ushort)f[1].Value!));
        Assert.Equal(Text(Of(firstGot, firstItems[1])[0]), Text(severeAll[0]));
    }

    [Fact]
    public async Task A_select_clause_of_an_unknown_type_or_path_is_refused_alone_and_selects_Null()
    {
        await using var subscription = await _client.CreateSubscriptionAsync(Fast);
        var filter = Select(
        [
            Field("SourceName"),
            Field("SourceName", 99_999),
            Field("NoSuchField"),
            new SimpleAttributeOperand { TypeDefinitionId = NodeId.Of(ObjectTypeIds.BaseEventType), BrowsePath = [new QualifiedName(0, "Severity")], AttributeId = (uint)AttributeId.DisplayName },
        ]);
        var items = await subscription.AddAsync([MonitoredItemRequest.Events(NodeId.Of(ObjectIds.Server), filter)]);
        Assert.True(items[0].Status.IsGood);
        Assert.Equal([StatusCode.Good.Code, StatusCodes.BadTypeDefinitionInvalid, StatusCodes.BadNodeIdUnknown, StatusCodes.BadAttributeIdInvalid], items[0].EventFilterResult!.SelectClauseResults!.Select(s => s.Code));
        using var events = new EventCollector(subscription);

        Raise(_temperature, "temperature", 500);

        var fields = (await events.WaitForAsync(1))[0].Fields;
        Assert.Equal("temperature", fields[0].Value);
        Assert.All(fields.Skip(1), f => Assert.True(f.IsNull));
    }

    [Fact]
    public async Task Malformed_filters_answer_BadEventFilterInvalid_with_the_clause_at_fault_and_create_nothing()
    {
        await using var subscription = await _client.CreateSubscriptionAsync(Fast);
        var severity = Operand(Field("Severity"));
        var cases = new (EventFilter Filter, uint[] ElementStatus)[]
        {
            // No valid select clause.
            (Select([Field("SourceName", 99_999)]), []),
            (Select([]), []),
            // An element operand pointing backwards (a loop), one past the end, and an OfType of an unknown type.
            (Select([Field("Severity")], new ContentFilter { Elements = [Element(FilterOperator.Not, ElementAt(1)), Element(FilterOperator.Not, ElementAt(0))] }), [StatusCode.Good.Code, StatusCodes.BadFilterOperandInvalid]),
            (Select([Field("Severity")], new ContentFilter { Elements = [Element(FilterOperator.Not, ElementAt(5))] }), [StatusCodes.BadFilterOperandInvalid]),
            (Select([Field("Severity")], new ContentFilter { Elements = [Element(FilterOperator.OfType, Literal(new Variant(BuiltInType.NodeId, NodeId.Of(99_999))))] }), [StatusCodes.BadFilterOperandInvalid]),
            // Wrong operand counts, an unsupported and an unknown operator, an operand naming an unknown field.
            (Select([Field("Severity")], new ContentFilter { Elements = [Element(FilterOperator.Equals, severity)] }), [StatusCodes.BadFilterOperandCountMismatch]),
            (Select([Field("Severity")], new ContentFilter { Elements = [Element(FilterOperator.Like, severity, Literal(Variant.From("x%")))] }), [StatusCodes.BadFilterOperatorUnsupported]),
            (Select([Field("Severity")], new ContentFilter { Elements = [Element((FilterOperator)99, severity)] }), [StatusCodes.BadFilterOperatorInvalid]),
            (Select([Field("Severity")], new ContentFilter { Elements = [Element(FilterOperator.IsNull, Operand(Field("Nothing")))] }), [StatusCodes.BadFilterOperandInvalid]),
        };
        foreach (var (filter, elementStatus) in cases)
        {
            var items = await subscription.AddAsync([MonitoredItemRequest.Events(NodeId.Of(ObjectIds.Server), filter)]);
            Assert.Equal(StatusCodes.BadEventFilterInvalid, items[0].Status.Code);
            Assert.Equal(elementStatus, items[0].EventFilterResult!.WhereClauseResult.ElementResults!.Select(r => r.StatusCode.Code));
        }
        Assert.Equal(0, _server.MonitoredItemCount);
    }

    [Fact]
    public async Task Event_items_only_on_notifier_objects_and_only_with_an_EventFilter()
    {
        await using var subscription = await _client.CreateSubscriptionAsync(Fast);
        var items = await subscription.AddAsync(
        [
            MonitoredItemRequest.Events(_temperature, UaExpertFilter()),
            MonitoredItemRequest.Events(_quiet, UaExpertFilter()),
            new MonitoredItemRequest(_plant) { Attribute = AttributeId.EventNotifier, DeadbandType = DeadbandType.Absolute, Deadband = 1 },
            new MonitoredItemRequest(_plant) { Attribute = AttributeId.EventNotifier },
        ]);

        Assert.Equal([StatusCodes.BadAttributeIdInvalid, StatusCodes.BadNotSupported, StatusCodes.BadFilterNotAllowed, StatusCodes.BadMonitoredItemFilterInvalid], items.Select(i => i.Status.Code));
        Assert.Equal(0, _server.MonitoredItemCount);
    }

    [Fact]
    public async Task Modifying_an_event_item_to_a_bad_filter_is_refused_and_keeps_the_filter_it_had()
    {
        await using var subscription = await _client.CreateSubscriptionAsync(Fast);
        var items = await subscription.AddAsync([MonitoredItemRequest.Events(NodeId.Of(ObjectIds.Server), Select([Field("SourceName")]))]);
        using var events = new EventCollector(subscription);
        var bad = Select([Field("Severity")], new ContentFilter { Elements = [Element(FilterOperator.Not, ElementAt(0))] });

        var response = await _client.CallAsync<ModifyMonitoredItemsResponse>(new ModifyMonitoredItemsRequest
        {
            SubscriptionId = subscription.Id,
            TimestampsToReturn = TimestampsToReturn.Neither,
            ItemsToModify = [new MonitoredItemModifyRequest { MonitoredItemId = items[0].ServerId, RequestedParameters = new MonitoringParameters { ClientHandle = items[0].ClientHandle, QueueSize = 10, Filter = ExtensionObject.From(bad) } }],
        });

        Assert.Equal(StatusCodes.BadEventFilterInvalid, response.Results![0].StatusCode.Code);
        var result = Assert.IsType<EventFilterResult>(response.Results[0].FilterResult.Decode());
        Assert.Equal([StatusCodes.BadFilterOperandInvalid], result.WhereClauseResult.ElementResults!.Select(r => r.StatusCode.Code));
        Raise(_temperature, "still selected", 500);
        Assert.Equal("still selected", (await events.WaitForAsync(1))[0].Fields[0].Value);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_full_queue_reports_one_EventQueueOverflow_event_where_the_discard_policy_says(bool discardOldest)
    {
        // The server runs on a clock of its own: its publishing cycles come only when the test moves that clock, so
        // all ten events are certainly queued between two of them.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = StartServer(time);
        await using var client = await OpcUaClient.ConnectAsync($"opc.tcp://127.0.0.1:{server.Port}/freeopcua/server/", Options);
        await client.OpenSessionAsync("events-overflow");
        await using var subscription = await client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = 3000, MaxKeepAliveCount = 10 });
        var items = await subscription.AddAsync([MonitoredItemRequest.Events(NodeId.Of(ObjectIds.Server), Select([Field("EventType"), Field("SourceName")])) with { QueueSize = 3, DiscardOldest = discardOldest }]);
        Assert.Equal(3u, items[0].RevisedQueueSize);
        using var events = new EventCollector(subscription);

        for (var i = 1; i <= 10; i++) Raise(_temperature, $"e{i}", 500, on: server);
        time.Advance(TimeSpan.FromSeconds(3));
        await events.WaitForAsync(4);
        // The next cycle brings what came after; had the queue kept more than its size, it would show before this.
        Raise(_temperature, "end", 500, on: server);
        time.Advance(TimeSpan.FromSeconds(3));

        var got = await events.WaitUntilAsync(arrived => arrived.Any(e => Equals(e.Fields[1].Value, "end")), "the event raised after the overflow");
        var received = got.Select(e => (NodeId)e.Fields[0].Value! == NodeId.Of(ObjectTypeIds.EventQueueOverflowEventType) ? "overflow:" + e.Fields[1].Value : (string)e.Fields[1].Value!).ToArray();
        Assert.Equal(discardOldest ? ["overflow:Internal/EventQueueOverflow", "e8", "e9", "e10", "end"] : ["e1", "e2", "e10", "overflow:Internal/EventQueueOverflow", "end"], received);
    }

    private static EventFilter UaExpertFilter() => Select(
    [
        .. StandardFields.Select(f => Field(f)),
        ConditionId(),
        Field("EnabledState/Id", ObjectTypeIds.ConditionType),
    ]);

    private static ReadValueId Notifier(NodeId node) => new() { NodeId = node, AttributeId = (uint)AttributeId.EventNotifier };

    private void Raise(NodeId source, string name, ushort severity, uint type = ObjectTypeIds.SystemEventType, OpcUaServer? on = null) =>
        (on ?? _server).Events.Raise(new UaEvent(NodeId.Of(type)) { SourceNode = source, SourceName = name, Time = DateTime.UtcNow, Message = name, Severity = severity });
}
