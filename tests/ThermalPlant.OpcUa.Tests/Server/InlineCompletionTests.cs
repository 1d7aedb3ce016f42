using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Transport;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Testing;

namespace ThermalPlant.OpcUa.Tests.Server;

/// <summary>
/// With inline socket completions (the OPC UA server service's mode) a connection's read loop runs on the runtime's
/// socket thread, which other connections share: a request that blocks must not run there (issue 17). The server runs
/// in a process of its own (<see cref="InlineCompletionServer"/>) with the mode set, and one socket thread, so that the
/// two connections share it as connections do on a server with more connections than cores. A publishing cycle made slow
/// by a computed variable stands for a big subscription's: Publish and the monitored-item services must not wait for it there.
/// </summary>
public sealed partial class InlineCompletionTests
{
    private static readonly TimeSpan Block = TimeSpan.FromSeconds(15);
    // Far above what a loaded CI machine takes to answer a Read, well below the method's block.
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task With_inline_socket_completions_a_method_blocking_its_thread_holds_up_no_Read_on_another_connection()
    {
        await using var process = StartServer();
        var (url, ns) = await ReadyAsync(process);
        var options = new OpcUaClientOptions { RequestTimeout = Block * 3 };
        await using var blocked = await OpcUaClient.ConnectAsync(url, options, sessionName: "inline");
        await using var reader = await OpcUaClient.ConnectAsync(url, options, sessionName: "inline");

        var call = blocked.CallMethodAsync(NodeId.Of("Pump", ns), NodeId.Of("Pump.Wait", ns), []);
        await WaitForAsync(process, Blocking(), Start);
        for (var i = 0; i < 5; i++)
        {
            var value = await reader.ReadValueAsync(NodeId.Of("Flow", ns)).WaitAsync(Answer);
            Assert.Equal(42.0, value.Value.TryGetDouble(out var flow) ? flow : double.NaN);
        }

        Assert.False(call.IsCompleted, "the method was answered before the reads were done: the reads proved nothing");
        Assert.True((await call.WaitAsync(Block * 2)).StatusCode.IsGood);
    }

    [Fact]
    public async Task With_inline_socket_completions_a_publishing_cycle_holding_its_subscription_holds_up_no_Read_on_another_connection()
    {
        await using var process = StartServer();
        var (url, ns) = await ReadyAsync(process);
        var options = new OpcUaClientOptions { RequestTimeout = Block * 3 };
        await using var subscriber = await OpcUaClient.ConnectAsync(url, options, sessionName: "inline");
        await using var reader = await OpcUaClient.ConnectAsync(url, options, sessionName: "inline");
        // Raw requests: the client's own subscriptions would send Publish requests by themselves.
        var subscription = (await subscriber.CallAsync<CreateSubscriptionResponse>(new CreateSubscriptionRequest { RequestedPublishingInterval = 100, RequestedLifetimeCount = 100_000, RequestedMaxKeepAliveCount = 10, PublishingEnabled = true })).SubscriptionId;
        var created = await subscriber.CallAsync<CreateMonitoredItemsResponse>(new CreateMonitoredItemsRequest
        {
            SubscriptionId = subscription,
            TimestampsToReturn = TimestampsToReturn.Both,
            ItemsToCreate =
            [
                new MonitoredItemCreateRequest
                {
                    ItemToMonitor = new ReadValueId { NodeId = NodeId.Of("Level", ns), AttributeId = (uint)AttributeId.Value },
                    MonitoringMode = MonitoringMode.Reporting,
                    RequestedParameters = new MonitoringParameters { ClientHandle = 1, SamplingInterval = 100, QueueSize = 1, DiscardOldest = true },
                },
            ],
        });
        var item = Assert.Single(created.Results!).MonitoredItemId;

        // The next cycle's sample of Level blocks, holding the subscription's lock; the subscription is late (no Publish
        // came yet), so a Publish and a monitored-item service arriving now find the lock busy.
        Assert.True((await subscriber.CallMethodAsync(NodeId.Of("Pump", ns), NodeId.Of("Pump.Slow", ns), [])).StatusCode.IsGood);
        await WaitForAsync(process, CycleBlocking(), Start);
        var publish = subscriber.CallAsync<PublishResponse>(new PublishRequest { SubscriptionAcknowledgements = [] });
        var mode = subscriber.CallAsync<SetMonitoringModeResponse>(new SetMonitoringModeRequest { SubscriptionId = subscription, MonitoringMode = MonitoringMode.Reporting, MonitoredItemIds = [item] });
        var reads = Stopwatch.StartNew();
        while (reads.Elapsed < Block / 2)
        {
            var value = await reader.ReadValueAsync(NodeId.Of("Flow", ns)).WaitAsync(Answer);
            Assert.Equal(42.0, value.Value.TryGetDouble(out var flow) ? flow : double.NaN);
        }

        Assert.False(publish.IsCompleted || mode.IsCompleted, "the Publish or SetMonitoringMode was answered before the reads were done: the reads proved nothing");
        var published = await publish.WaitAsync(Block * 2);
        Assert.Equal(subscription, published.SubscriptionId);
        var changes = Assert.IsType<DataChangeNotification>(Assert.Single(published.NotificationMessage!.NotificationData!).Decode());
        Assert.Equal(7.0, Assert.Single(changes.MonitoredItems!).Value.Value.TryGetDouble(out var level) ? level : double.NaN);
        Assert.Equal(StatusCode.Good, Assert.Single((await mode.WaitAsync(Block * 2)).Results!));
    }

    private static ManagedProcess StartServer()
    {
        var environment = new Dictionary<string, string>
        {
            [SocketCompletions.Variable] = "1",
            ["DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT"] = "1",
            ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0",
        };
        string[] arguments = [typeof(InlineCompletionServer).Assembly.Location, "inline-server", Block.TotalSeconds.ToString(CultureInfo.InvariantCulture)];
        return ManagedProcess.Start("dotnet", arguments, environment: environment);
    }

    /// <summary>The server's endpoint and namespace once it is ready, after checking that it runs completions inline.</summary>
    private static async Task<(string Url, ushort Ns)> ReadyAsync(ManagedProcess process)
    {
        var ready = await WaitForAsync(process, Ready(), Start);
        // Measured in the server's process: without it these tests would prove nothing.
        Assert.Contains("inline True", process.Output, StringComparison.Ordinal);
        return ($"opc.tcp://127.0.0.1:{ready.Groups["port"].Value}/freeopcua/server/", ushort.Parse(ready.Groups["ns"].Value, CultureInfo.InvariantCulture));
    }

    private static async Task<Match> WaitForAsync(ManagedProcess process, Regex line, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            if (line.Match(process.Output) is { Success: true } match) return match;
            Assert.True(DateTime.UtcNow < deadline && !process.HasExited, $"no line matching {line} within {within.TotalSeconds} s; the server printed:\n{process.Output}");
            await Task.Delay(50);
        }
    }

    [GeneratedRegex(@"^ready (?<port>\d+) (?<ns>\d+)$", RegexOptions.Multiline)]
    private static partial Regex Ready();

    [GeneratedRegex(@"^blocking$", RegexOptions.Multiline)]
    private static partial Regex Blocking();

    [GeneratedRegex(@"^cycle-blocking$", RegexOptions.Multiline)]
    private static partial Regex CycleBlocking();
}
