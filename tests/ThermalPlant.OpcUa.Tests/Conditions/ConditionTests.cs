using System.Net;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Conditions;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Tests.Events;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Testing;
using static ThermalPlant.OpcUa.Client.EventFilters;

namespace ThermalPlant.OpcUa.Tests.Conditions;

/// <summary>Alarms and Conditions of our server through our client: transitions, the condition methods by role, stale event ids, refresh, enable and disable.</summary>
public sealed class ConditionTests : IAsyncLifetime
{
    private const int EventIdField = 0, EventTypeField = 1, SeverityField = 3, MessageField = 4, ConditionIdField = 5, ActiveField = 6, AckedField = 7,
        ConfirmedField = 8, RetainField = 9, LimitStateField = 10, CommentField = 11, EnabledField = 12;

    private static readonly X509Certificate2 ServerCertificate = TestCertificates.Create("server", "urn:thermalplant:opcserver");
    private static readonly string OperatorHash = PasswordHash.Create("op-pass", PasswordHash.MinIterations);
    private static readonly string ObserverHash = PasswordHash.Create("obs-pass", PasswordHash.MinIterations);

    private static readonly OpcUaClientOptions FastOptions = new()
    {
        RequestTimeout = TimeSpan.FromSeconds(5),
        KeepAliveInterval = TimeSpan.FromMilliseconds(300),
        ReconnectMinDelay = TimeSpan.FromMilliseconds(100),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(400),
    };

    private static readonly SubscriptionSettings Fast = new() { PublishingInterval = 50, MaxKeepAliveCount = 10 };

    private OpcUaServer _server = null!;
    private ExclusiveLimitAlarm _limit = null!;
    private OffNormalAlarm _fault = null!;
    private NodeId _plant = NodeId.Null;

    public Task InitializeAsync()
    {
        _server = new OpcUaServer(new OpcUaServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            HostName = "127.0.0.1",
            ApplicationCertificate = ServerCertificate,
            Users = new UserAuthenticationOptions
            {
                Users =
                [
                    new UserAccount { Name = "operator", Role = "Operator", PasswordHash = OperatorHash },
                    new UserAccount { Name = "observer", Role = "Observer", PasswordHash = ObserverHash },
                ],
            },
        });
        var space = _server.AddressSpace;
        var ns = space.RegisterNamespace("urn:thermalplant:plant");
        _plant = NodeId.Of("Plant", ns);
        var temperature = NodeId.Of("Plant.Temperature", ns);
        space.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), _plant, new QualifiedName(ns, "Plant"));
        space.AddVariable(_plant, new UaVariable(temperature, new QualifiedName(ns, "Temperature"), "Temperature", NodeId.Of(DataTypeIds.Double)));
        _server.Events.MakeNotifier(_plant);
        space.AddReference(_plant, ReferenceTypeIds.HasEventSource, temperature);
        _limit = _server.Conditions.AddExclusiveLimitAlarm(NodeId.Of("Plant.Temperature.Limit", ns), temperature, "Plant/Temperature", "TemperatureLimit",
            new LimitAlarmSettings { HighHigh = 90, High = 80, Low = 10, LowLow = 0, Deadband = 2 });
        _fault = _server.Conditions.AddOffNormalAlarm(NodeId.Of("Plant.Temperature.Fault", ns), temperature, "Plant/Temperature", "TemperatureFault");
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_limit_alarm_goes_High_then_HighHigh_holds_within_its_deadband_and_returns_to_normal()
    {
        await using var client = await Connect("observer", "obs-pass");
        await using var subscription = await client.CreateSubscriptionAsync(Fast);
        await subscription.AddAsync([MonitoredItemRequest.Events(_plant, AlarmFilter())]);
        using var events = new EventCollector(subscription);
        await Task.Delay(200);

        foreach (var value in new[] { 50.0, 81, 79, 95, 89, 85, 77.9 }) _limit.Evaluate(value);

        var received = await events.WaitForAsync(4);
        Assert.Equal(["High", "HighHigh", "High", null], received.Select(e => (e.Fields[LimitStateField].Value as LocalizedText?)?.Text));
        Assert.Equal([true, true, true, false], received.Select(e => (bool)e.Fields[ActiveField].Value!));
        Assert.Equal([(ushort)500, (ushort)800, (ushort)500, (ushort)500], received.Select(e => (ushort)e.Fields[SeverityField].Value!));
        Assert.All(received, e => Assert.Equal(_limit.NodeId, e.Fields[ConditionIdField].Value));
        Assert.All(received, e => Assert.Equal(NodeId.Of(ObjectTypeIds.ExclusiveLimitAlarmType), e.Fields[EventTypeField].Value));
        Assert.Equal("Plant/Temperature 81 above its High limit 80", ((LocalizedText)received[0].Fields[MessageField].Value!).Text);
        // Unacknowledged: the alarm is retained after it returned to normal.
        Assert.True((bool)received[3].Fields[RetainField].Value!);
        Assert.False((bool)received[3].Fields[AckedField].Value!);
        await Task.Delay(300);
        Assert.Equal(4, events.Snapshot().Count);
    }

    [Fact]
    public async Task An_operator_acknowledges_and_confirms_the_latest_event_and_then_the_alarm_is_no_longer_retained()
    {
        await using var client = await Connect("operator", "op-pass");
        await using var subscription = await client.CreateSubscriptionAsync(Fast);
        await subscription.AddAsync([MonitoredItemRequest.Events(NodeId.Of(ObjectIds.Server), AlarmFilter())]);
        using var events = new EventCollector(subscription);
        await Task.Delay(200);
        _fault.Activate("open thermocouple", 700);
        var active = (await events.WaitForAsync(1))[0];

        Assert.Equal(StatusCode.Good, await client.AcknowledgeAsync(_fault.NodeId, EventId(active), "seen it"));
        var acked = (await events.WaitForAsync(2))[1];
        Assert.True((bool)acked.Fields[AckedField].Value!);
        Assert.False((bool)acked.Fields[ConfirmedField].Value!);
        Assert.Equal("seen it", ((LocalizedText)acked.Fields[CommentField].Value!).Text);
        Assert.Equal(StatusCodes.BadConditionBranchAlreadyAcked, (await client.AcknowledgeAsync(_fault.NodeId, EventId(acked), "again")).Code);

        _fault.Clear("thermocouple reads again");
        var cleared = (await events.WaitForAsync(3))[2];
        Assert.True((bool)cleared.Fields[RetainField].Value!);
        Assert.Equal(StatusCode.Good, await client.ConfirmAsync(_fault.NodeId, EventId(cleared), "replaced the plug"));
        var confirmed = (await events.WaitForAsync(4))[3];
        Assert.False((bool)confirmed.Fields[RetainField].Value!);
        Assert.Equal("operator", _fault.State.ClientUserId);
        Assert.Equal(Variant.From(true), (await client.ReadValueAsync(NodeId.Of(_fault.NodeId.Text + ".ConfirmedState.Id", _fault.NodeId.NamespaceIndex))).Value);
        Assert.Equal(Variant.From(false), (await client.ReadValueAsync(NodeId.Of(_fault.NodeId.Text + ".Retain", _fault.NodeId.NamespaceIndex))).Value);
    }

    [Fact]
    public async Task A_stale_event_id_a_wrong_argument_or_the_wrong_object_changes_nothing()
    {
        await using var client = await Connect("operator", "op-pass");
        await using var subscription = await client.CreateSubscriptionAsync(Fast);
        await subscription.AddAsync([MonitoredItemRequest.Events(NodeId.Of(ObjectIds.Server), AlarmFilter())]);
        using var events = new EventCollector(subscription);
        await Task.Delay(200);
        _limit.Evaluate(85);
        var first = (await events.WaitForAsync(1))[0];
        _limit.Evaluate(95);
        await events.WaitForAsync(2);
        var before = _limit.State;

        Assert.Equal(StatusCodes.BadEventIdUnknown, (await client.AcknowledgeAsync(_limit.NodeId, EventId(first), "too late")).Code);
        Assert.Equal(StatusCodes.BadEventIdUnknown, (await client.AcknowledgeAsync(_limit.NodeId, [1, 2, 3], "made up")).Code);
        var mistyped = await client.CallMethodAsync(_limit.NodeId, NodeId.Of(MethodIds.AcknowledgeableConditionType_Acknowledge), [Variant.From("not bytes"), new Variant(BuiltInType.LocalizedText, new LocalizedText(null, "x"))]);
        Assert.Equal(StatusCodes.BadInvalidArgument, mistyped.StatusCode.Code);
        Assert.Equal(StatusCodes.BadMethodInvalid, (await client.AcknowledgeAsync(_plant, EventId(first), "not a condition")).Code);
        Assert.Equal(StatusCodes.BadArgumentsMissing, (await client.CallMethodAsync(_limit.NodeId, NodeId.Of(MethodIds.AcknowledgeableConditionType_Acknowledge), [])).StatusCode.Code);

        Assert.Same(before, _limit.State);
        await Task.Delay(300);
        Assert.Equal(2, events.Snapshot().Count);
    }

    [Fact]
    public async Task An_observer_watches_and_refreshes_but_may_not_acknowledge_comment_or_disable()
    {
        await using var client = await Connect("observer", "obs-pass");
        await using var subscription = await client.CreateSubscriptionAsync(Fast);
        await subscription.AddAsync([MonitoredItemRequest.Events(NodeId.Of(ObjectIds.Server), AlarmFilter())]);
        using var events = new EventCollector(subscription);
        await Task.Delay(200);
        _fault.Activate("stuck bus", 700);
        var active = (await events.WaitForAsync(1))[0];
        var before = _fault.State;

        Assert.Equal(StatusCodes.BadUserAccessDenied, (await client.AcknowledgeAsync(_fault.NodeId, EventId(active), "no")).Code);
        Assert.Equal(StatusCodes.BadUserAccessDenied, (await client.AddCommentAsync(_fault.NodeId, EventId(active), "no")).Code);
        Assert.Equal(StatusCodes.BadUserAccessDenied, (await client.EnableConditionAsync(_fault.NodeId, false)).Code);
        Assert.Same(before, _fault.State);
        Assert.Equal(StatusCode.Good, await client.ConditionRefreshAsync(subscription));
        await events.WaitForAsync(4);
    }

    [Fact]
    public async Task ConditionRefresh_sends_the_retained_conditions_between_RefreshStart_and_RefreshEnd_to_the_callers_subscription_only()
    {
        await using var client = await Connect("operator", "op-pass");
        await using var other = await Connect("observer", "obs-pass");
        _limit.Evaluate(85);
        _fault.Activate("ADC fault", 700);
        _fault.Clear("ADC reads again");
        await using var subscription = await client.CreateSubscriptionAsync(Fast);
        await subscription.AddAsync([MonitoredItemRequest.Events(NodeId.Of(ObjectIds.Server), AlarmFilter())]);
        await using var bystander = await other.CreateSubscriptionAsync(Fast);
        await bystander.AddAsync([MonitoredItemRequest.Events(NodeId.Of(ObjectIds.Server), AlarmFilter())]);
        using var events = new EventCollector(subscription);
        using var bystanderEvents = new EventCollector(bystander);
        await Task.Delay(200);

        Assert.Equal(StatusCode.Good, await client.ConditionRefreshAsync(subscription));
        Assert.Equal(StatusCodes.BadSubscriptionIdInvalid, (await other.ConditionRefreshAsync(subscription)).Code);

        var received = await events.WaitForAsync(4);
        Assert.Equal(NodeId.Of(ObjectTypeIds.RefreshStartEventType), received[0].Fields[EventTypeField].Value);
        Assert.Equal(NodeId.Of(ObjectTypeIds.RefreshEndEventType), received[3].Fields[EventTypeField].Value);
        Assert.Equal(new HashSet<NodeId> { _limit.NodeId, _fault.NodeId }, received.Skip(1).Take(2).Select(e => (NodeId)e.Fields[ConditionIdField].Value!).ToHashSet());
        // The refreshed events are the conditions' latest, so they can be acknowledged.
        var limitEvent = received.Single(e => _limit.NodeId.Equals(e.Fields[ConditionIdField].Value));
        Assert.Equal(StatusCode.Good, await client.AcknowledgeAsync(_limit.NodeId, EventId(limitEvent), "from refresh"));
        await Task.Delay(300);
        Assert.DoesNotContain(bystanderEvents.Snapshot(), e => e.Fields[EventTypeField].Value is NodeId type && type == NodeId.Of(ObjectTypeIds.RefreshStartEventType));
    }

    [Fact]
    public async Task ConditionRefresh_with_wrong_arguments_an_unknown_subscription_or_a_method_of_another_type_is_refused_and_sends_nothing()
    {
        await using var client = await Connect("operator", "op-pass");
        _limit.Evaluate(85);
        await using var subscription = await client.CreateSubscriptionAsync(Fast);
        await subscription.AddAsync([MonitoredItemRequest.Events(NodeId.Of(ObjectIds.Server), AlarmFilter())]);
        using var events = new EventCollector(subscription);
        await Task.Delay(200);
        var conditionType = NodeId.Of(ObjectTypeIds.ConditionType);
        var refresh = NodeId.Of(MethodIds.ConditionType_ConditionRefresh);
        var before = _limit.State;

        var mistyped = await client.CallMethodAsync(conditionType, refresh, [Variant.From("1")]);
        Assert.Equal(StatusCodes.BadInvalidArgument, mistyped.StatusCode.Code);
        Assert.Equal([StatusCodes.BadTypeMismatch], mistyped.InputArgumentResults!.Select(r => r.Code));
        Assert.Equal(StatusCodes.BadArgumentsMissing, (await client.CallMethodAsync(conditionType, refresh, [])).StatusCode.Code);
        Assert.Equal(StatusCodes.BadTooManyArguments, (await client.CallMethodAsync(conditionType, refresh, [Variant.From(subscription.Id), Variant.From(1u)])).StatusCode.Code);
        Assert.Equal(StatusCodes.BadSubscriptionIdInvalid, (await client.CallMethodAsync(conditionType, refresh, [Variant.From(subscription.Id + 1000)])).StatusCode.Code);
        // Acknowledge is no method of ConditionType itself, and ConditionRefresh none of the Server object.
        Assert.Equal(StatusCodes.BadMethodInvalid, (await client.CallMethodAsync(conditionType, NodeId.Of(MethodIds.AcknowledgeableConditionType_Acknowledge), [new Variant(BuiltInType.ByteString, new byte[] { 1 }), new Variant(BuiltInType.LocalizedText, new LocalizedText(null, "x"))])).StatusCode.Code);
        Assert.Equal(StatusCodes.BadMethodInvalid, (await client.CallMethodAsync(NodeId.Of(ObjectIds.Server), refresh, [Variant.From(subscription.Id)])).StatusCode.Code);

        await Task.Delay(300);
        Assert.Empty(events.Snapshot());
        Assert.Same(before, _limit.State);
    }

    [Fact]
    public async Task A_disabled_condition_reports_nothing_refuses_methods_and_reports_its_state_when_enabled()
    {
        await using var client = await Connect("operator", "op-pass");
        await using var subscription = await client.CreateSubscriptionAsync(Fast);
        await subscription.AddAsync([MonitoredItemRequest.Events(NodeId.Of(ObjectIds.Server), AlarmFilter())]);
        using var events = new EventCollector(subscription);
        await Task.Delay(200);

        Assert.Equal(StatusCode.Good, await client.EnableConditionAsync(_fault.NodeId, false));
        var disabled = (await events.WaitForAsync(1))[0];
        Assert.False((bool)disabled.Fields[EnabledField].Value!);
        Assert.False((bool)disabled.Fields[RetainField].Value!);
        Assert.Equal(StatusCodes.BadConditionAlreadyDisabled, (await client.EnableConditionAsync(_fault.NodeId, false)).Code);
        _fault.Activate("lost sensors service", 900);
        await Task.Delay(300);
        Assert.Single(events.Snapshot());
        Assert.Equal(StatusCodes.BadConditionDisabled, (await client.AcknowledgeAsync(_fault.NodeId, EventId(disabled), "x")).Code);

        Assert.Equal(StatusCode.Good, await client.EnableConditionAsync(_fault.NodeId, true));
        var enabled = (await events.WaitForAsync(2))[1];
        Assert.True((bool)enabled.Fields[EnabledField].Value!);
        Assert.True((bool)enabled.Fields[ActiveField].Value!);
        Assert.Equal((ushort)900, (ushort)enabled.Fields[SeverityField].Value!);
    }

    private static byte[] EventId(EventNotification e) => (byte[])e.Fields[EventIdField].Value!;

    private static EventFilter AlarmFilter() => Select(
    [
        Field("EventId"), Field("EventType"), Field("SourceName"), Field("Severity"), Field("Message"),
        ConditionId(),
        Field("ActiveState/Id", ObjectTypeIds.AlarmConditionType),
        Field("AckedState/Id", ObjectTypeIds.AcknowledgeableConditionType),
        Field("ConfirmedState/Id", ObjectTypeIds.AcknowledgeableConditionType),
        Field("Retain", ObjectTypeIds.ConditionType),
        Field("LimitState/CurrentState", ObjectTypeIds.ExclusiveLimitAlarmType),
        Field("Comment", ObjectTypeIds.ConditionType),
        Field("EnabledState/Id", ObjectTypeIds.ConditionType),
    ]);

    private async Task<OpcUaClient> Connect(string user, string password)
    {
        var client = await OpcUaClient.ConnectAsync($"opc.tcp://127.0.0.1:{_server.Port}/freeopcua/server/", FastOptions with { Credentials = UserCredentials.FromUserName(user, password) });
        try
        {
            await client.OpenSessionAsync("conditions");
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }
}
