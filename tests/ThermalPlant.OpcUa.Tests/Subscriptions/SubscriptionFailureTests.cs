using System.Net;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Subscriptions;

/// <summary>An exception in a subscription's publishing cycle (a timer callback) closes that subscription, not the process.</summary>
public sealed class SubscriptionFailureTests
{
    [Fact]
    public async Task A_publishing_cycle_that_throws_deletes_its_subscription_reports_it_and_the_session_goes_on()
    {
        var failures = new List<SubscriptionFailed>();
        var armed = 0;
        await using var server = new OpcUaServer(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1", MinPublishingInterval = TimeSpan.FromMilliseconds(20) });
        server.SubscriptionFailed += failed =>
        {
            lock (failures) failures.Add(failed);
        };
        var ns = server.AddressSpace.RegisterNamespace("urn:thermalplant:plant");
        var objects = NodeId.Of(ObjectIds.ObjectsFolder);
        // A value the server computes on every cycle, from a host source that throws once when armed.
        var computed = NodeId.Of("Plant.Computed", ns);
        server.AddressSpace.AddVariable(objects, new UaVariable(computed, new QualifiedName(ns, "Computed"), "Computed", NodeId.Of(DataTypeIds.Double))
        {
            ValueSource = () => Interlocked.Exchange(ref armed, 0) == 1
                ? throw new InvalidOperationException("the host's value source has a bug")
                : new DataValue { Value = Variant.From(1.0), SourceTimestamp = DateTime.UtcNow },
        });
        var temperatureId = NodeId.Of("Plant.Temperature", ns);
        var temperature = server.AddressSpace.AddVariable(objects, new UaVariable(temperatureId, new QualifiedName(ns, "Temperature"), "Temperature", NodeId.Of(DataTypeIds.Double)));
        temperature.SetValue(new DataValue { Value = Variant.From(20.0), SourceTimestamp = DateTime.UtcNow });
        server.Start();
        await using var client = await OpcUaClient.ConnectAsync($"opc.tcp://127.0.0.1:{server.Port}/freeopcua/server/");
        await client.OpenSessionAsync("failure");
        var lost = 0;
        client.ConnectionLost += _ => Interlocked.Increment(ref lost);
        await using var subscription = await client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = 50, MaxKeepAliveCount = 4 });
        var items = await subscription.AddAsync([new MonitoredItemRequest(computed) { SamplingInterval = 0 }, new MonitoredItemRequest(temperatureId) { SamplingInterval = 0 }]);
        Assert.All(items, item => Assert.True(item.Status.IsGood));
        using var changes = new ChangeCollector(subscription);
        await changes.WaitForAsync(2);
        var failedId = subscription.Id;

        Volatile.Write(ref armed, 1);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline && Volatile.Read(ref armed) == 1) await Task.Delay(20);
        Assert.Equal(0, Volatile.Read(ref armed));

        // The client is told (BadInternalError) and subscribes again on the same session; values flow again.
        temperature.SetValue(new DataValue { Value = Variant.From(99.0), SourceTimestamp = DateTime.UtcNow });
        while (DateTime.UtcNow < deadline && !changes.Snapshot().Any(c => c.Value.Value.Value is 99.0)) await Task.Delay(20);
        Assert.Contains(changes.Snapshot(), c => c.Value.Value.Value is 99.0);
        lock (failures)
        {
            var failure = Assert.Single(failures);
            Assert.Equal(failedId, failure.SubscriptionId);
            Assert.IsType<InvalidOperationException>(failure.Exception);
        }
        Assert.Equal(0, Volatile.Read(ref lost));
        Assert.Equal(1, server.SessionCount);
        Assert.Equal(1, server.SubscriptionCount);
    }
}
