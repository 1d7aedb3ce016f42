using System.Net;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Testing;

namespace ThermalPlant.OpcUa.Tests.Subscriptions;

/// <summary>Subscriptions and monitored items of our server through our client, over loopback.</summary>
public sealed class SubscriptionTests : IAsyncLifetime
{
    private static readonly OpcUaClientOptions Options = new()
    {
        RequestTimeout = TimeSpan.FromSeconds(3),
        KeepAliveInterval = TimeSpan.FromMilliseconds(300),
        ReconnectMinDelay = TimeSpan.FromMilliseconds(100),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(300),
    };

    private static readonly SubscriptionSettings Fast = new() { PublishingInterval = 50, MaxKeepAliveCount = 4 };

    private OpcUaServer _server = null!;
    private TcpRelay _relay = null!;
    private OpcUaClient _client = null!;

    private string Url => $"opc.tcp://127.0.0.1:{_relay.Port}/freeopcua/server/";

    public async Task InitializeAsync()
    {
        _server = StartServer(0);
        _relay = new TcpRelay(_server.Port);
        _client = await OpcUaClient.ConnectAsync(Url, Options);
        await _client.OpenSessionAsync("subscriptions");
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _relay.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Every_pushed_change_arrives_in_order_after_the_initial_value()
    {
        await using var subscription = await _client.CreateSubscriptionAsync(Fast);
        var items = await subscription.AddAsync([new MonitoredItemRequest(Node("Temperature")) { SamplingInterval = 0 }]);
        Assert.True(items[0].Status.IsGood);
        using var changes = new ChangeCollector(subscription);
        await changes.WaitForAsync(1);

        for (var i = 1; i <= 5; i++)
        {
            Set("Temperature", 20.0 + i);
            await Task.Delay(30);
        }

        var values = await changes.WaitForAsync(6);
        Assert.Equal([20.0, 21.0, 22.0, 23.0, 24.0, 25.0], values.Select(v => (double)v.Value.Value!.Value!));
        Assert.All(values, v => Assert.False(v.GapBefore));
        Assert.All(values, v => Assert.NotNull(v.Value.SourceTimestamp));
        Assert.Equal(1, _server.SubscriptionCount);
        Assert.Equal(1, _server.MonitoredItemCount);
    }

    [Fact]
    public async Task Two_items_on_one_variable_sample_at_their_own_rates_without_losing_changes()
    {
        await using var subscription = await _client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = 100, MaxKeepAliveCount = 10 });
        var items = await subscription.AddAsync([new MonitoredItemRequest(Node("Temperature")) { SamplingInterval = 0, QueueSize = 100 }, new MonitoredItemRequest(Node("Temperature")) { SamplingInterval = 500, QueueSize = 100 }]);
        using var changes = new ChangeCollector(subscription);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 1; i <= 30; i++)
        {
            Set("Temperature", i);
            await Task.Delay(100);
        }
        var pushing = clock.Elapsed.TotalMilliseconds;
        await Task.Delay(700);
        var fast = changes.Snapshot().Where(c => c.Item == items[0]).Select(c => (double)c.Value.Value!.Value!).ToList();
        var slow = changes.Snapshot().Where(c => c.Item == items[1]).ToList();
        Assert.Equal(Enumerable.Range(0, 31).Select(i => i == 0 ? 20.0 : i), fast);
        // The slow item samples at most every 7/8 of 500 ms and at least every 500 ms plus a publishing cycle and a push
        // (with scheduling slack); the bounds follow the time the pushes really took, which a loaded machine stretches.
        // Add one for the initial value and one for the value held at the end.
        Assert.InRange(slow.Count, (int)(pushing / 900) + 1, (int)(pushing / 437.5) + 2);
    }

    [Fact]
    public async Task Values_pushed_a_little_before_the_sampling_interval_is_up_are_each_sampled()
    {
        // A poll or PLC cycle on the sampling period jitters around it; here the values come 380 ms apart, a little
        // before their 400 ms are up. Publishing at 2 s: a value held for being early would be replaced by the next one
        // long before a cycle sampled it. The server takes its time inside Set, so a push timed between clock readings
        // around two Set calls is known to have come 380 ms or more, and under 390 ms, after the one before. A loaded
        // machine only delays a push, which then proves nothing: the test pushes until eight were such early ones.
        await using var subscription = await _client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = 2000, MaxKeepAliveCount = 10 });
        await subscription.AddAsync([new MonitoredItemRequest(Node("Temperature")) { SamplingInterval = 400, QueueSize = 1000 }]);
        using var changes = new ChangeCollector(subscription);
        await changes.WaitForAsync(1);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var pushed = new List<double>();
        var early = 0;
        var (lastBefore, lastAfter) = (TimeSpan.Zero, TimeSpan.Zero);
        while (early < 8)
        {
            Assert.True(pushed.Count < 200, $"only {early} of {pushed.Count} pushes came within 390 ms of the one before");
            var wait = lastAfter + TimeSpan.FromMilliseconds(380) - clock.Elapsed;
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
            var value = 100.0 + pushed.Count + 1;
            var before = clock.Elapsed;
            Set("Temperature", value);
            var after = clock.Elapsed;
            if (pushed.Count > 0 && after - lastBefore < TimeSpan.FromMilliseconds(390)) early++;
            pushed.Add(value);
            (lastBefore, lastAfter) = (before, after);
        }
        var values = await changes.WaitForAsync(pushed.Count + 1);
        Assert.Equal(pushed, values.Skip(1).Select(v => (double)v.Value.Value!.Value!));
    }

    [Fact]
    public async Task Changes_faster_than_the_sampling_interval_are_sampled_latest_first()
    {
        await using var subscription = await _client.CreateSubscriptionAsync(Fast);
        // Sampling at 3 s leaves the five changes well inside one interval after the initial value, even when a loaded
        // machine delays the first publish by a second.
        var items = await subscription.AddAsync([new MonitoredItemRequest(Node("Temperature")) { SamplingInterval = 3000 }]);
        Assert.Equal(3000, items[0].RevisedSamplingInterval);
        using var changes = new ChangeCollector(subscription);
        await changes.WaitForAsync(1);

        for (var i = 1; i <= 5; i++) Set("Temperature", 20.0 + i);

        var values = await changes.WaitForAsync(2);
        await Task.Delay(600);
        Assert.Equal([20.0, 25.0], changes.Snapshot().Select(v => (double)v.Value.Value!.Value!));
    }

    [Fact]
    public async Task An_absolute_deadband_holds_back_small_changes()
    {
        await using var subscription = await _client.CreateSubscriptionAsync(Fast);
        await subscription.AddAsync([new MonitoredItemRequest(Node("Temperature")) { SamplingInterval = 0, DeadbandType = DeadbandType.Absolute, Deadband = 1.0 }]);
        using var changes = new ChangeCollector(subscription);
        await changes.WaitForAsync(1);

        foreach (var value in new[] { 20.5, 20.9, 21.5, 21.9, 19.0 })
        {
            Set("Temperature", value);
            await Task.Delay(30);
        }

        var values = await changes.WaitForAsync(3);
        await Task.Delay(300);
        Assert.Equal([20.0, 21.5, 19.0], changes.Snapshot().Select(v => (double)v.Value.Value!.Value!));
    }

    [Fact]
    public async Task A_percent_deadband_is_a_share_of_the_eurange_and_needs_one()
    {
        await using var subscription = await _client.CreateSubscriptionAsync(Fast);
        var items = await subscription.AddAsync(
        [
            new MonitoredItemRequest(Node("Speed")) { SamplingInterval = 0, DeadbandType = DeadbandType.Percent, Deadband = 5 },
            new MonitoredItemRequest(Node("Temperature")) { DeadbandType = DeadbandType.Percent, Deadband = 5 },
            new MonitoredItemRequest(Node("Name")) { DeadbandType = DeadbandType.Absolute, Deadband = 1 },
        ]);
        Assert.True(items[0].Status.IsGood);
        Assert.Equal(StatusCodes.BadMonitoredItemFilterUnsupported, items[1].Status.Code);
        Assert.Equal(StatusCodes.BadFilterNotAllowed, items[2].Status.Code);
        using var changes = new ChangeCollector(subscription);
        await changes.WaitForAsync(1);

        // EURange 0..2000 rpm: 5 % is 100 rpm.
        foreach (var value in new[] { 1550.0, 1590.0, 1601.0, 1650.0 })
        {
            Set("Speed", value);
            await Task.Delay(30);
        }

        await changes.WaitForAsync(2);
        await Task.Delay(300);
        Assert.Equal([1500.0, 1601.0], changes.Snapshot().Select(v => (double)v.Value.Value!.Value!));
    }

    [Fact]
    public async Task An_absolute_deadband_on_an_array_reports_when_any_element_moves_past_it()
    {
        await using var subscription = await _client.CreateSubscriptionAsync(Fast);
        await subscription.AddAsync([new MonitoredItemRequest(Node("Bands")) { SamplingInterval = 0, QueueSize = 10, DeadbandType = DeadbandType.Absolute, Deadband = 1.0 }]);
        using var changes = new ChangeCollector(subscription);
        await changes.WaitForAsync(1);

        foreach (var bands in new[] { new[] { 1.5, 2.0, 3.0 }, [1.5, 2.0, 4.5], [1.5, 2.0, 4.5, 0.0], [1.5, 2.0, 4.5, 0.9], [1.5, 2.0, 4.5, -1.2] })
        {
            SetArray("Bands", bands);
            await Task.Delay(30);
        }

        await changes.WaitForAsync(4);
        await Task.Delay(300);
        Assert.Equal(["1,2,3", "1.5,2,4.5", "1.5,2,4.5,0", "1.5,2,4.5,-1.2"], changes.Snapshot().Select(v => string.Join(",", (double[])v.Value.Value!.Value!)));
    }

    [Fact]
    public async Task An_array_without_deadband_reports_any_element_that_changed()
    {
        await using var subscription = await _client.CreateSubscriptionAsync(Fast);
        await subscription.AddAsync([new MonitoredItemRequest(Node("Bands")) { SamplingInterval = 0, QueueSize = 10 }]);
        using var changes = new ChangeCollector(subscription);
        await changes.WaitForAsync(1);

        foreach (var bands in new[] { new[] { 1.0, 2.0, 3.0 }, [1.0, 2.0, 3.0001], [1.0, 2.0, 3.0001] })
        {
            SetArray("Bands", bands);
            await Task.Delay(30);
        }

        await changes.WaitForAsync(2);
        await Task.Delay(300);
        Assert.Equal(["1,2,3", "1,2,3.0001"], changes.Snapshot().Select(v => string.Join(",", (double[])v.Value.Value!.Value!)));
    }

    [Fact]
    public async Task An_idle_subscription_sends_keep_alives()
    {
        // A keep-alive every 2 idle cycles of 50 ms: waited for, not counted in a fixed second a loaded machine may
        // stretch; at most one per 100 ms elapsed (and two to spare), so a keep-alive every cycle would fail.
        var elapsed = global::System.Diagnostics.Stopwatch.StartNew();
        await using var subscription = await _client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = 50, MaxKeepAliveCount = 2 });
        await subscription.AddAsync([new MonitoredItemRequest(Node("Temperature"))]);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (subscription.KeepAlives < 4 && DateTime.UtcNow < deadline) await Task.Delay(20);
        var keepAlives = subscription.KeepAlives;
        Assert.True(keepAlives >= 4, $"{keepAlives} keep-alives in {elapsed.Elapsed}");
        Assert.True(keepAlives <= (elapsed.ElapsedMilliseconds / 100) + 2, $"{keepAlives} keep-alives in {elapsed.Elapsed}: more than one per 100 ms");
    }

    [Fact]
    public async Task A_full_queue_discards_the_oldest_and_flags_the_overflow()
    {
        await using var subscription = await _client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = 1000, MaxKeepAliveCount = 5 });
        using var changes = new ChangeCollector(subscription);
        await subscription.AddAsync([new MonitoredItemRequest(Node("Temperature")) { SamplingInterval = 0, QueueSize = 3 }]);
        await changes.WaitForAsync(1);

        for (var i = 1; i <= 10; i++) Set("Temperature", i);

        var values = await changes.WaitForAsync(4);
        Assert.Equal([8.0, 9.0, 10.0], values.Skip(1).Select(v => (double)v.Value.Value!.Value!));
        Assert.Equal(0x480u, values[1].Value.Status.Code & 0x480u);
        Assert.True(values[2].Value.Status.IsGood);
        Assert.Equal(0u, values[2].Value.Status.Code);
    }

    [Fact]
    public async Task A_full_queue_that_discards_the_newest_keeps_the_oldest_and_flags_the_last()
    {
        await using var subscription = await _client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = 1000, MaxKeepAliveCount = 5 });
        using var changes = new ChangeCollector(subscription);
        await subscription.AddAsync([new MonitoredItemRequest(Node("Temperature")) { SamplingInterval = 0, QueueSize = 3, DiscardOldest = false }]);
        await changes.WaitForAsync(1);

        for (var i = 1; i <= 10; i++) Set("Temperature", i);

        var values = await changes.WaitForAsync(4);
        Assert.Equal([1.0, 2.0, 10.0], values.Skip(1).Select(v => (double)v.Value.Value!.Value!));
        Assert.Equal(0u, values[1].Value.Status.Code);
        Assert.Equal(0x480u, values[3].Value.Status.Code & 0x480u);
    }

    [Fact]
    public async Task A_status_trigger_reports_status_changes_only_and_a_timestamp_trigger_reports_new_samples()
    {
        await using var subscription = await _client.CreateSubscriptionAsync(Fast);
        var items = await subscription.AddAsync(
        [
            new MonitoredItemRequest(Node("Temperature")) { SamplingInterval = 0, Trigger = DataChangeTrigger.Status },
            new MonitoredItemRequest(Node("Temperature")) { SamplingInterval = 0, Trigger = DataChangeTrigger.StatusValueTimestamp },
        ]);
        using var changes = new ChangeCollector(subscription);
        await changes.WaitForAsync(2);
        var variable = (UaVariable)_server.AddressSpace.Find(Node("Temperature"))!;

        Set("Temperature", 25.0);
        await Task.Delay(100);
        // The same value sampled again: only its timestamp changed.
        Set("Temperature", 25.0);
        await Task.Delay(100);
        variable.SetValue(new DataValue { Value = Variant.From(25.0), Status = StatusCodes.BadSensorFailure, SourceTimestamp = DateTime.UtcNow });

        await changes.WaitForAsync(6);
        await Task.Delay(300);
        var all = changes.Snapshot();
        Assert.Equal([StatusCode.Good, new StatusCode(StatusCodes.BadSensorFailure)], all.Where(c => c.Item == items[0]).Select(c => c.Value.Status));
        Assert.Equal(4, all.Count(c => c.Item == items[1]));
    }

    [Fact]
    public async Task Items_removed_at_run_time_stop_reporting()
    {
        await using var subscription = await _client.CreateSubscriptionAsync(Fast);
        var items = await subscription.AddAsync([new MonitoredItemRequest(Node("Temperature")) { SamplingInterval = 0 }, new MonitoredItemRequest(Node("Speed")) { SamplingInterval = 0 }]);
        using var changes = new ChangeCollector(subscription);
        await changes.WaitForAsync(2);
        await subscription.RemoveAsync([items[1]]);
        Assert.Single(subscription.Items);
        Assert.Equal(1, _server.MonitoredItemCount);

        Set("Speed", 1800);
        Set("Temperature", 30);
        await changes.WaitForAsync(3);
        await Task.Delay(300);
        Assert.DoesNotContain(changes.Snapshot().Skip(2), c => c.Item == items[1]);
    }

    [Fact]
    public async Task A_subscription_transferred_to_another_session_keeps_publishing_there()
    {
        await using var other = await OpcUaClient.ConnectAsync(Url, Options);
        await other.OpenSessionAsync("receiver");
        await using var subscription = await _client.CreateSubscriptionAsync(Fast);
        await subscription.AddAsync([new MonitoredItemRequest(Node("Temperature")) { SamplingInterval = 0 }]);
        // Our client notices that its session lost the subscription and creates a new one; the old id moves.
        var id = subscription.Id;

        var transfer = await other.CallAsync<TransferSubscriptionsResponse>(new TransferSubscriptionsRequest { SubscriptionIds = [id], SendInitialValues = true });
        Assert.True(transfer.Results![0].StatusCode.IsGood);
        Set("Temperature", 33.0);

        // The receiving session publishes for it now; its first message carries the initial value and the change.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var seen = new List<double>();
        while (seen.Count < 2 && DateTime.UtcNow < deadline)
        {
            var response = await other.CallAsync<PublishResponse>(new PublishRequest());
            if (response.SubscriptionId != id) continue;
            foreach (var data in response.NotificationMessage.NotificationData ?? [])
            {
                if (data.Decode() is DataChangeNotification change) seen.AddRange(change.MonitoredItems!.Select(i => (double)i.Value.Value!.Value!));
            }
        }
        Assert.Contains(33.0, seen);
        var previousOwner = await _client.CallAsync<SetPublishingModeResponse>(new SetPublishingModeRequest { PublishingEnabled = true, SubscriptionIds = [id] });
        Assert.Equal(StatusCodes.BadSubscriptionIdInvalid, previousOwner.Results![0].Code);
    }

    [Fact]
    public async Task A_sampling_item_reports_only_with_its_trigger()
    {
        await using var subscription = await _client.CreateSubscriptionAsync(Fast);
        var items = await subscription.AddAsync([new MonitoredItemRequest(Node("Temperature")), new MonitoredItemRequest(Node("Speed")) { QueueSize = 1 }]);
        var temperature = items[0];
        var speed = items[1];
        using var changes = new ChangeCollector(subscription);
        await changes.WaitForAsync(2);
        await _client.CallAsync<SetMonitoringModeResponse>(new SetMonitoringModeRequest { SubscriptionId = subscription.Id, MonitoringMode = MonitoringMode.Sampling, MonitoredItemIds = [speed.ServerId] });
        await _client.CallAsync<SetTriggeringResponse>(new SetTriggeringRequest { SubscriptionId = subscription.Id, TriggeringItemId = temperature.ServerId, LinksToAdd = [speed.ServerId] });

        Set("Speed", 1700);
        await Task.Delay(300);
        Assert.Equal(2, changes.Snapshot().Count);

        Set("Temperature", 30);
        var values = await changes.WaitForAsync(4);
        Assert.Contains(values.Skip(2), v => v.Item == speed && (double)v.Value.Value!.Value! == 1700);
        Assert.Contains(values.Skip(2), v => v.Item == temperature && (double)v.Value.Value!.Value! == 30);
    }

    [Fact]
    public async Task Changes_during_a_cut_connection_arrive_after_it_without_a_gap()
    {
        await using var subscription = await _client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = 50, MaxKeepAliveCount = 4, LifetimeCount = 1000 });
        await subscription.AddAsync([new MonitoredItemRequest(Node("Temperature")) { SamplingInterval = 0, QueueSize = 100 }]);
        using var changes = new ChangeCollector(subscription);
        await changes.WaitForAsync(1);
        var reconnected = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _client.Reconnected += recreated => reconnected.TrySetResult(recreated);

        _relay.Cut(refuseNew: true);
        for (var i = 1; i <= 20; i++)
        {
            Set("Temperature", i);
            await Task.Delay(10);
        }
        _relay.Restore();

        Assert.False(await reconnected.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        var values = await changes.WaitForAsync(21);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (double)i), values.Skip(1).Select(v => (double)v.Value.Value!.Value!));
        Assert.All(values, v => Assert.False(v.GapBefore));
    }

    [Fact]
    public async Task After_a_server_restart_the_subscription_is_recreated_and_the_gap_reported()
    {
        await using var subscription = await _client.CreateSubscriptionAsync(Fast);
        await subscription.AddAsync([new MonitoredItemRequest(Node("Temperature"))]);
        using var changes = new ChangeCollector(subscription);
        var first = (await changes.WaitForAsync(1))[0];
        var recreated = new TaskCompletionSource<OpcUaSubscription>(TaskCreationOptions.RunContinuationsAsynchronously);
        _client.SubscriptionRecreated += s => recreated.TrySetResult(s);

        await _server.DisposeAsync();
        _relay.Cut();
        _server = StartServer(0);
        _relay.TargetPort = _server.Port;
        Set("Temperature", 42);

        Assert.Same(subscription, await recreated.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        var values = await changes.WaitForAsync(2);
        Assert.Equal(42.0, values[1].Value.Value!.Value);
        Assert.True(values[1].GapBefore);
        Assert.Equal(first.Value.SourceTimestamp, values[1].GapStart);
        Set("Temperature", 43);
        values = await changes.WaitForAsync(3);
        Assert.False(values[2].GapBefore);
    }

    [Fact]
    public async Task A_hundred_thousand_items_cost_only_what_changes()
    {
        const int count = 100_000;
        var ns = (ushort)2;
        var variables = new UaVariable[count];
        var folder = NodeId.Of("Plant.Many", ns);
        _server.AddressSpace.AddObject(NodeId.Of("Plant", ns), folder, new QualifiedName(ns, "Many"));
        for (var i = 0; i < count; i++)
        {
            variables[i] = _server.AddressSpace.AddVariable(folder, new UaVariable(NodeId.Of($"Plant.Many.{i}", ns), new QualifiedName(ns, $"V{i}"), $"V{i}", NodeId.Of(DataTypeIds.Double)));
            variables[i].SetValue(new DataValue { Value = Variant.From((double)i), SourceTimestamp = DateTime.UtcNow });
        }
        await using var subscription = await _client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = 100 });
        using var changes = new ChangeCollector(subscription);
        var items = await subscription.AddAsync([.. variables.Select(v => new MonitoredItemRequest(v.NodeId) { SamplingInterval = 0 })]);
        Assert.All(items, i => Assert.True(i.Status.IsGood));
        await changes.WaitForAsync(count);

        for (var i = 0; i < 100; i++) variables[i * 1000].SetValue(new DataValue { Value = Variant.From(-1.0), SourceTimestamp = DateTime.UtcNow });

        var values = await changes.WaitForAsync(count + 100);
        await Task.Delay(500);
        Assert.Equal(count + 100, changes.Snapshot().Count);
        Assert.All(values.Skip(count), v => Assert.Equal(-1.0, v.Value.Value!.Value));
        Assert.Equal(count, _server.MonitoredItemCount);
    }

    [Fact]
    public async Task Limits_and_missing_subscriptions_answer_with_their_codes()
    {
        var error = await Assert.ThrowsAsync<OpcUaException>(() => _client.CallAsync<PublishResponse>(new PublishRequest()));
        Assert.Equal(StatusCodes.BadNoSubscription, error.Status.Code);

        var subscriptions = new List<OpcUaSubscription>();
        for (var i = 0; i < 3; i++) subscriptions.Add(await _client.CreateSubscriptionAsync(Fast));
        error = await Assert.ThrowsAsync<OpcUaException>(() => _client.CreateSubscriptionAsync(Fast));
        Assert.Equal(StatusCodes.BadTooManySubscriptions, error.Status.Code);

        var items = await subscriptions[0].AddAsync([new MonitoredItemRequest(NodeId.Of("Nope", 2)), new MonitoredItemRequest(NodeId.Of(ObjectIds.Server)) { Attribute = AttributeId.EventNotifier }]);
        Assert.Equal(StatusCodes.BadNodeIdUnknown, items[0].Status.Code);
        // An item on an EventNotifier needs an EventFilter.
        Assert.Equal(StatusCodes.BadMonitoredItemFilterInvalid, items[1].Status.Code);

        error = await Assert.ThrowsAsync<OpcUaException>(() => _client.CallAsync<RepublishResponse>(new RepublishRequest { SubscriptionId = subscriptions[0].Id, RetransmitSequenceNumber = 999 }));
        Assert.Equal(StatusCodes.BadMessageNotAvailable, error.Status.Code);
        foreach (var subscription in subscriptions) await subscription.DisposeAsync();
        Assert.Equal(0, _server.SubscriptionCount);
    }

    private static NodeId Node(string name) => NodeId.Of($"Plant.{name}", 2);

    private void Set(string name, double value) =>
        ((UaVariable)_server.AddressSpace.Find(Node(name))!).SetValue(new DataValue { Value = Variant.From(value), SourceTimestamp = DateTime.UtcNow });

    private void SetArray(string name, double[] values) =>
        ((UaVariable)_server.AddressSpace.Find(Node(name))!).SetValue(new DataValue { Value = new Variant(BuiltInType.Double, values), SourceTimestamp = DateTime.UtcNow });

    private static OpcUaServer StartServer(int port)
    {
        var server = new OpcUaServer(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = port, HostName = "127.0.0.1", MaxSubscriptionsPerSession = 3, MinPublishingInterval = TimeSpan.FromMilliseconds(20) });
        var ns = server.AddressSpace.RegisterNamespace("urn:thermalplant:plant");
        var plant = NodeId.Of("Plant", ns);
        server.AddressSpace.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), plant, new QualifiedName(ns, "Plant"));
        server.AddressSpace.AddVariable(plant, new UaVariable(Node("Temperature"), new QualifiedName(ns, "Temperature"), "Temperature", NodeId.Of(DataTypeIds.Double)))
            .SetValue(new DataValue { Value = Variant.From(20.0), SourceTimestamp = DateTime.UtcNow });
        var speed = server.AddressSpace.AddVariable(plant, new UaVariable(Node("Speed"), new QualifiedName(ns, "Speed"), "Speed", NodeId.Of(DataTypeIds.Double)));
        speed.SetValue(new DataValue { Value = Variant.From(1500.0), SourceTimestamp = DateTime.UtcNow });
        server.AddressSpace.AddVariable(speed.NodeId, new UaVariable(NodeId.Of("Plant.Speed.EURange", ns), new QualifiedName(0, "EURange"), "EURange", NodeId.Of(DataTypeIds.Range)), ReferenceTypeIds.HasProperty, VariableTypeIds.PropertyType)
            .SetValue(new DataValue { Value = new Variant(BuiltInType.ExtensionObject, ExtensionObject.From(new Generated.Range { Low = 0, High = 2000 })) });
        server.AddressSpace.AddVariable(plant, new UaVariable(Node("Bands"), new QualifiedName(ns, "Bands"), "Bands", NodeId.Of(DataTypeIds.Double)))
            .SetValue(new DataValue { Value = new Variant(BuiltInType.Double, new[] { 1.0, 2.0, 3.0 }), SourceTimestamp = DateTime.UtcNow });
        server.AddressSpace.AddVariable(plant, new UaVariable(Node("Name"), new QualifiedName(ns, "Name"), "Name", NodeId.Of(DataTypeIds.String)))
            .SetValue(new DataValue { Value = Variant.From("furnace"), SourceTimestamp = DateTime.UtcNow });
        server.Start();
        return server;
    }
}
