using System.Net.Http.Json;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;
using static ThermalPlant.OpcUa.Client.EventFilters;

namespace ThermalPlant.OpcServer.Tests;

/// <summary>The plant's alarms and system events over the real sensors service behind real nginx.</summary>
public sealed class PlantAlarmTests : IAsyncLifetime
{
    private const int EventTypeField = 0, SourceNameField = 1, MessageField = 2, ConditionIdField = 3, ActiveField = 4, LimitStateField = 5, EventIdField = 6;

    private PlantStack _stack = null!;
    private OpcUaClient _client = null!;
    private ushort _ns;

    public async Task InitializeAsync()
    {
        // The supply's limits are set so that its 24 V is High; the other limits come from the service's defaults.
        var stack = await PlantStack.StartAsync(
            "--OpcServer:Alarms:Limits:Voltage/MainSupply:LowLow=-2",
            "--OpcServer:Alarms:Limits:Voltage/MainSupply:Low=-1",
            "--OpcServer:Alarms:Limits:Voltage/MainSupply:High=1",
            "--OpcServer:Alarms:Limits:Voltage/MainSupply:HighHigh=100");
        Assert.NotNull(stack);
        _stack = stack;
        _client = await OpcUaClient.ConnectAsync(_stack.OpcUrl, new OpcUaClientOptions { RequestTimeout = TimeSpan.FromSeconds(5) });
        await _client.OpenSessionAsync("plant-alarms");
        var namespaces = (string[])(await _client.ReadValueAsync(NodeId.Of(VariableIds.Server_NamespaceArray))).Value.Value!;
        _ns = (ushort)Array.IndexOf(namespaces, "urn:thermalplant:plant");
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _stack.DisposeAsync();
    }

    [Fact]
    public async Task An_open_thermocouple_raises_the_sensors_BadReading_alarm_with_its_fault_and_clearing_it_returns_to_normal()
    {
        await using var subscription = await _client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = 100 });
        await subscription.AddAsync([MonitoredItemRequest.Events(NodeId.Of("Plant", _ns), AlarmFilter())]);
        var events = subscription.ReadEventsAsync().GetAsyncEnumerator();
        using var http = new HttpClient { BaseAddress = _stack.SensorsAddress };
        var condition = NodeId.Of("Plant.Temperature.Upper.BadReading", _ns);

        var created = await http.PostAsJsonAsync("/simulation/faults", new { type = "open_thermocouple", target = "upper" });
        created.EnsureSuccessStatusCode();
        // On a loaded machine a poll of the DMZ can time out first and raise the same alarm as "cannot be read"; the
        // open circuit's own event carries its fault.
        var active = await NextAsync(events, e => condition.Equals(e.Fields[ConditionIdField].Value)
            && (((LocalizedText)e.Fields[MessageField].Value!).Text ?? "").Contains("open_circuit", StringComparison.Ordinal));
        Assert.Equal(NodeId.Of(ObjectTypeIds.OffNormalAlarmType), active.Fields[EventTypeField].Value);
        Assert.True((bool)active.Fields[ActiveField].Value!);
        Assert.Equal("Plant/Temperature/Upper", active.Fields[SourceNameField].Value);
        Assert.Equal(StatusCode.Good, await _client.AcknowledgeAsync(condition, (byte[])active.Fields[EventIdField].Value!, "checking the plug"));

        (await http.DeleteAsync(created.Headers.Location)).EnsureSuccessStatusCode();
        var cleared = await NextAsync(events, e => condition.Equals(e.Fields[ConditionIdField].Value) && e.Fields[ActiveField].Value is false);
        Assert.Contains("reads again", ((LocalizedText)cleared.Fields[MessageField].Value!).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_value_beyond_its_configured_limit_is_a_retained_ExclusiveLimitAlarm_that_ConditionRefresh_lists()
    {
        var voltage = NodeId.Of("Plant.Voltage.MainSupply", _ns);
        var condition = NodeId.Of("Plant.Voltage.MainSupply.Limit", _ns);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((await _client.ReadValueAsync(NodeId.Of("Plant.Voltage.MainSupply.Limit.ActiveState.Id", _ns))).Value != Variant.From(true))
        {
            Assert.True(DateTime.UtcNow < deadline, "the supply's limit alarm never went active");
            await Task.Delay(100);
        }
        await using var subscription = await _client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = 100 });
        await subscription.AddAsync([MonitoredItemRequest.Events(NodeId.Of(ObjectIds.Server), AlarmFilter())]);
        var events = subscription.ReadEventsAsync().GetAsyncEnumerator();

        Assert.Equal(StatusCode.Good, await _client.ConditionRefreshAsync(subscription));

        var refreshed = await NextAsync(events, e => condition.Equals(e.Fields[ConditionIdField].Value));
        Assert.Equal(NodeId.Of(ObjectTypeIds.ExclusiveLimitAlarmType), refreshed.Fields[EventTypeField].Value);
        Assert.Equal("High", ((LocalizedText)refreshed.Fields[LimitStateField].Value!).Text);
        Assert.Contains("above its High limit 1", ((LocalizedText)refreshed.Fields[MessageField].Value!).Text, StringComparison.Ordinal);
        await NextAsync(events, e => NodeId.Of(ObjectTypeIds.RefreshEndEventType).Equals(e.Fields[EventTypeField].Value));
        var conditions = await _client.BrowseAsync(voltage, NodeId.Of(ReferenceTypeIds.HasCondition));
        Assert.Contains(conditions, r => r.NodeId.NodeId == condition);
    }

    [Fact]
    public async Task Losing_the_sensors_service_raises_a_DeviceFailure_event_and_its_return_a_system_event()
    {
        await using var subscription = await _client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = 100 });
        await subscription.AddAsync([MonitoredItemRequest.Events(NodeId.Of(ObjectIds.Server), AlarmFilter())]);
        var events = subscription.ReadEventsAsync().GetAsyncEnumerator();
        await Task.Delay(_stack.PollInterval * 3);

        await _stack.StopSensorsAsync();
        var lost = await NextAsync(events, e => NodeId.Of(ObjectTypeIds.DeviceFailureEventType).Equals(e.Fields[EventTypeField].Value));
        Assert.Equal("Plant/SensorsService", lost.Fields[SourceNameField].Value);
        var badReading = await NextAsync(events, e => NodeId.Of("Plant.RPM.MainShaft.BadReading", _ns).Equals(e.Fields[ConditionIdField].Value));
        Assert.Contains("sensors service is lost", ((LocalizedText)badReading.Fields[MessageField].Value!).Text, StringComparison.Ordinal);

        await _stack.StartSensorsAsync();
        var back = await NextAsync(events, e => NodeId.Of(ObjectTypeIds.SystemEventType).Equals(e.Fields[EventTypeField].Value));
        Assert.Contains("answers again", ((LocalizedText)back.Fields[MessageField].Value!).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_alarms_events_are_kept_in_the_event_history_across_a_restart_of_the_server()
    {
        var condition = NodeId.Of("Plant.Voltage.MainSupply.Limit", _ns);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((await _client.ReadValueAsync(NodeId.Of("Plant.Voltage.MainSupply.Limit.ActiveState.Id", _ns))).Value != Variant.From(true))
        {
            Assert.True(DateTime.UtcNow < deadline, "the supply's limit alarm never went active");
            await Task.Delay(100);
        }
        var since = DateTime.UtcNow.AddMinutes(-5);
        var before = await _client.HistoryReadEventsAsync(NodeId.Of("Plant", _ns), AlarmFilter(), since, DateTime.UtcNow.AddMinutes(1));
        var active = before.First(e => condition.Equals(e[ConditionIdField].Value) && e[ActiveField].Value is true);
        Assert.Equal(NodeId.Of(ObjectTypeIds.ExclusiveLimitAlarmType), active[EventTypeField].Value);
        Assert.Equal("High", ((LocalizedText)active[LimitStateField].Value!).Text);

        await _client.DisposeAsync();
        await _stack.StopOpcServerAsync();
        await _stack.StartOpcServerAsync();
        _client = await OpcUaClient.ConnectAsync(_stack.OpcUrl, new OpcUaClientOptions { RequestTimeout = TimeSpan.FromSeconds(5) });
        await _client.OpenSessionAsync("plant-alarms-after-restart");

        var after = await _client.HistoryReadEventsAsync(NodeId.Of(ObjectIds.Server), AlarmFilter(), since, DateTime.UtcNow.AddMinutes(1));
        var kept = Assert.Single(after, e => ((byte[])e[EventIdField].Value!).AsSpan().SequenceEqual((byte[])active[EventIdField].Value!));
        Assert.Equal(active.Select(f => f.Value), kept.Select(f => f.Value));
    }

    private static EventFilter AlarmFilter() => Select(
    [
        Field("EventType"), Field("SourceName"), Field("Message"), ConditionId(),
        Field("ActiveState/Id", ObjectTypeIds.AlarmConditionType),
        Field("LimitState/CurrentState", ObjectTypeIds.ExclusiveLimitAlarmType),
        Field("EventId"),
    ]);

    /// <summary>The next event matching <paramref name="match"/>, skipping others; fails after 20 s.</summary>
    private static async Task<EventNotification> NextAsync(IAsyncEnumerator<EventNotification> events, Func<EventNotification, bool> match)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var waiting = Task.Delay(Timeout.Infinite, timeout.Token);
        while (true)
        {
            var next = events.MoveNextAsync().AsTask();
            if (await Task.WhenAny(next, waiting) != next) Assert.Fail("the expected event did not arrive within 20 s");
            Assert.True(await next, "the event stream ended");
            if (match(events.Current)) return events.Current;
        }
    }
}
