using System.Net;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.History;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Subscriptions;

/// <summary>Many variables set as one update (<see cref="UaVariable.SetValues"/>), seen by our client over loopback.</summary>
public sealed class ValueBatchTests : IAsyncLifetime
{
    // More than two holds of a subscription's lock per update (ValuePushBatch.MaxOffersPerHold, 256).
    private const int Count = 700;

    private readonly MemoryHistoryStore _history = new(100, TimeSpan.FromDays(1));
    private OpcUaServer _server = null!;
    private OpcUaClient _client = null!;
    private UaVariable[] _variables = null!;

    public async Task InitializeAsync()
    {
        _server = new OpcUaServer(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1", MinPublishingInterval = TimeSpan.FromMilliseconds(20) }, history: _history);
        var ns = _server.AddressSpace.RegisterNamespace("urn:thermalplant:batch");
        var plant = NodeId.Of("Plant", ns);
        _server.AddressSpace.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), plant, new QualifiedName(ns, "Plant"));
        _variables = new UaVariable[Count];
        for (var i = 0; i < Count; i++)
        {
            _variables[i] = _server.AddressSpace.AddVariable(plant, new UaVariable(NodeId.Of($"Plant.V{i}", ns), new QualifiedName(ns, $"V{i}"), $"V{i}", NodeId.Of(DataTypeIds.Double)) { Historizing = true });
        }
        UaVariable.SetValues(_variables, Values(0));
        _server.Start();
        _client = await OpcUaClient.ConnectAsync($"opc.tcp://127.0.0.1:{_server.Port}/freeopcua/server/", new OpcUaClientOptions { RequestTimeout = TimeSpan.FromSeconds(5) });
        await _client.OpenSessionAsync("batch");
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Every_value_of_an_update_reaches_every_subscription_watching_it_once_and_is_recorded()
    {
        // Two subscriptions whose items interleave in the update's order, so the batch changes lock back and forth.
        await using var all = await _client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = 50, MaxKeepAliveCount = 10 });
        await using var everyThird = await _client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = 50, MaxKeepAliveCount = 10 });
        await all.AddAsync([.. _variables.Select(v => new MonitoredItemRequest(v.NodeId) { SamplingInterval = 0 })]);
        await everyThird.AddAsync([.. _variables.Where((_, i) => i % 3 == 0).Select(v => new MonitoredItemRequest(v.NodeId) { SamplingInterval = 0 })]);
        using var allChanges = new ChangeCollector(all);
        using var thirdChanges = new ChangeCollector(everyThird);
        await allChanges.WaitForAsync(Count);
        var thirds = (Count + 2) / 3;
        await thirdChanges.WaitForAsync(thirds);

        UaVariable.SetValues(_variables, Values(1));
        UaVariable.SetValues(_variables, Values(2));

        var seen = await allChanges.WaitForAsync(3 * Count);
        var seenThirds = await thirdChanges.WaitForAsync(3 * thirds);
        await Task.Delay(200);
        Assert.Equal(3 * Count, allChanges.Snapshot().Count);
        Assert.Equal(3 * thirds, thirdChanges.Snapshot().Count);
        for (var i = 0; i < Count; i++)
        {
            var node = _variables[i].NodeId;
            Assert.Equal([Value(i, 0), Value(i, 1), Value(i, 2)], seen.Where(c => c.Item.Node == node).Select(c => (double)c.Value.Value.Value!));
            if (i % 3 == 0) Assert.Equal([Value(i, 0), Value(i, 1), Value(i, 2)], seenThirds.Where(c => c.Item.Node == node).Select(c => (double)c.Value.Value.Value!));
            Assert.Equal(Value(i, 2), _variables[i].Value.Value.Value);
            var recorded = new List<DataValue>();
            _history.ReadRaw(node, DateTime.MinValue, DateTime.MaxValue, 0, 10, recorded);
            Assert.Equal([Value(i, 0), Value(i, 1), Value(i, 2)], recorded.Select(v => (double)v.Value.Value!));
        }
    }

    [Fact]
    public async Task A_handler_of_a_variable_in_an_update_runs_with_no_subscription_lock_held()
    {
        await using var subscription = await _client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = 50, MaxKeepAliveCount = 10 });
        await subscription.AddAsync([.. _variables.Select(v => new MonitoredItemRequest(v.NodeId) { SamplingInterval = 0 })]);
        using var changes = new ChangeCollector(subscription);
        await changes.WaitForAsync(Count);

        // The handler on the last variable waits for the update's first value to be published: the publishing cycle
        // needs the subscription's lock, which the update took for the values before it.
        var first = _variables[0].NodeId;
        var published = false;
        _variables[^1].ValueChanged += (_, _) =>
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
            while (DateTime.UtcNow < deadline && !published)
            {
                published = changes.Snapshot().Count(c => c.Item.Node == first) == 2;
                Thread.Sleep(10);
            }
        };
        await Task.Run(() => UaVariable.SetValues(_variables, Values(1)));

        Assert.True(published, "the update's first value was not published while a handler of the update ran");
        await changes.WaitForAsync(2 * Count);
    }

    [Fact]
    public void Values_and_variables_must_pair_up()
    {
        Assert.Throws<ArgumentException>(() => UaVariable.SetValues(_variables, Values(1).AsSpan(1)));
        Assert.Equal(Value(5, 0), _variables[5].Value.Value.Value);
    }

    private static double Value(int variable, int update) => (update * 10_000) + variable;

    private static DataValue[] Values(int update)
    {
        var at = new DateTime(2026, 12, 7, 9, 0, 0, DateTimeKind.Utc).AddSeconds(update);
        var values = new DataValue[Count];
        for (var i = 0; i < Count; i++) values[i] = new DataValue { Value = Variant.From(Value(i, update)), SourceTimestamp = at, ServerTimestamp = at };
        return values;
    }
}
