using System.Globalization;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Testing;
using static ThermalPlant.OpcUa.Client.EventFilters;

namespace ThermalPlant.Interop.Tests;

/// <summary>
/// Our client against node-opcua's server with its own alarms (instantiateExclusiveLimitAlarm, instantiateOffNormalAlarm):
/// events with our select clauses, ConditionRefresh, Acknowledge, and the transitions they report.
/// </summary>
public sealed class NodeOpcUaAlarmServerTests
{
    private const int EventIdField = 0, EventTypeField = 1, SourceNameField = 2, SeverityField = 3, ConditionIdField = 4, ActiveField = 5, AckedField = 6,
        RetainField = 7, LimitStateField = 8, CommentField = 9;

    private static readonly EventFilter Filter = Select(
    [
        Field("EventId"), Field("EventType"), Field("SourceName"), Field("Severity"), ConditionId(),
        Field("ActiveState/Id", ObjectTypeIds.AlarmConditionType), Field("AckedState/Id", ObjectTypeIds.AcknowledgeableConditionType),
        Field("Retain", ObjectTypeIds.ConditionType), Field("LimitState/CurrentState", ObjectTypeIds.ExclusiveLimitAlarmType),
        Field("Comment", ObjectTypeIds.ConditionType),
    ]);

    [Fact]
    public async Task Our_client_sees_node_opcua_alarms_go_active_refreshes_them_acknowledges_one_and_sees_it_return_to_normal()
    {
        var script = NodeOpcUa.Script("server-alarms.mjs");
        Assert.NotNull(script);
        var port = PeerPrograms.FreePort();
        await using var server = ManagedProcess.Start("node", [script, port.ToString(CultureInfo.InvariantCulture)], Path.GetDirectoryName(script));
        await using var client = await NodeOpcUaServerTests.ConnectWhenReadyAsync($"opc.tcp://127.0.0.1:{port}/UA/Alarms", server);
        await client.OpenSessionAsync("thermalplant-alarm-interop");
        var tank = (await client.BrowseAsync(NodeId.Of(ObjectIds.ObjectsFolder))).Single(r => r.BrowseName.Name == "Tank").NodeId.NodeId;
        var ns = tank.NamespaceIndex;
        var (level, fault) = (NodeId.Of("Tank.Level", ns), NodeId.Of("Tank.PumpFault", ns));
        var (levelAlarm, faultAlarm) = (NodeId.Of("Tank.LevelAlarm", ns), NodeId.Of("Tank.PumpFaultAlarm", ns));

        await using var subscription = await client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = 100, MaxKeepAliveCount = 10 });
        var items = await subscription.AddAsync([MonitoredItemRequest.Events(NodeId.Of(ObjectIds.Server), Filter)]);
        Assert.True(items[0].Status.IsGood, items[0].Status.ToString());
        var events = subscription.ReadEventsAsync().GetAsyncEnumerator();

        // The level above High: node-opcua's ExclusiveLimitAlarm goes active in its High state.
        Assert.Equal(StatusCode.Good, await client.WriteValueAsync(level, Variant.From(85.0)));
        var high = await NextAsync(events, e => levelAlarm.Equals(e.Fields[ConditionIdField].Value) && e.Fields[ActiveField].Value is true);
        Assert.Equal(NodeId.Of(ObjectTypeIds.ExclusiveLimitAlarmType), high.Fields[EventTypeField].Value);
        Assert.Equal("High", ((LocalizedText)high.Fields[LimitStateField].Value!).Text);
        Assert.Equal(false, high.Fields[AckedField].Value);
        Assert.Equal(true, high.Fields[RetainField].Value);
        // The pump's fault off its normal state: the OffNormalAlarm goes active.
        var written = await client.WriteValueAsync(fault, Variant.From(true));
        Assert.True(written.IsGood, $"{written}\n{server.Output}");
        var off = await NextAsync(events, e => faultAlarm.Equals(e.Fields[ConditionIdField].Value) && e.Fields[ActiveField].Value is true);
        Assert.Equal(NodeId.Of(ObjectTypeIds.OffNormalAlarmType), off.Fields[EventTypeField].Value);

        // ConditionRefresh: RefreshStart, both retained conditions, RefreshEnd.
        Assert.Equal(StatusCode.Good, await client.ConditionRefreshAsync(subscription));
        await NextAsync(events, e => NodeId.Of(ObjectTypeIds.RefreshStartEventType).Equals(e.Fields[EventTypeField].Value));
        var refreshed = new List<EventNotification>();
        while (true)
        {
            var e = await NextAsync(events, _ => true);
            if (NodeId.Of(ObjectTypeIds.RefreshEndEventType).Equals(e.Fields[EventTypeField].Value)) break;
            refreshed.Add(e);
        }
        var refreshedLevel = Assert.Single(refreshed, e => levelAlarm.Equals(e.Fields[ConditionIdField].Value));
        Assert.Single(refreshed, e => faultAlarm.Equals(e.Fields[ConditionIdField].Value));
        Assert.Equal("High", ((LocalizedText)refreshedLevel.Fields[LimitStateField].Value!).Text);

        // Acknowledge the level alarm's latest event: AckedState goes true with our comment; a made-up EventId is refused.
        var eventId = (byte[])refreshedLevel.Fields[EventIdField].Value!;
        Assert.Equal(StatusCode.Good, await client.AcknowledgeAsync(levelAlarm, eventId, "acknowledged by thermalplant"));
        var acked = await NextAsync(events, e => levelAlarm.Equals(e.Fields[ConditionIdField].Value) && e.Fields[AckedField].Value is true);
        Assert.Equal("acknowledged by thermalplant", ((LocalizedText)acked.Fields[CommentField].Value!).Text);
        Assert.Equal(true, acked.Fields[ActiveField].Value);
        var stale = await client.AcknowledgeAsync(levelAlarm, [1, 2, 3, 4], "stale");
        Assert.Equal(StatusCodes.BadEventIdUnknown, stale.Code);

        // The level back to normal: the alarm goes inactive; acknowledged, it is retained no longer.
        Assert.Equal(StatusCode.Good, await client.WriteValueAsync(level, Variant.From(50.0)));
        var normal = await NextAsync(events, e => levelAlarm.Equals(e.Fields[ConditionIdField].Value) && e.Fields[ActiveField].Value is false);
        Assert.Equal(true, normal.Fields[AckedField].Value);
        // node-opcua names the source by its qualified browse name.
        Assert.Equal($"{ns}:Level", normal.Fields[SourceNameField].Value);
        Assert.InRange((ushort)high.Fields[SeverityField].Value!, (ushort)1, (ushort)1000);
    }

    /// <summary>The next event matching <paramref name="match"/>, skipping others; fails after 20 s.</summary>
    private static async Task<EventNotification> NextAsync(IAsyncEnumerator<EventNotification> events, Func<EventNotification, bool> match)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var next = events.MoveNextAsync().AsTask();
            if (await Task.WhenAny(next, Task.Delay(Timeout.Infinite, timeout.Token)) != next) Assert.Fail("the expected event did not arrive within 20 s");
            Assert.True(await next, "the subscription ended");
            if (match(events.Current)) return events.Current;
        }
    }
}
