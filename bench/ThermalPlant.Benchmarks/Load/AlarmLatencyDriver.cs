using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;
using static ThermalPlant.OpcUa.Client.EventFilters;

namespace ThermalPlant.Benchmarks.Load;

/// <summary>
/// Time from a Bad reading at the sensors service to the alarm at a client (issue 15), on the real chain (the sensors
/// service, nginx's DMZ, the published OPC UA server polling through it): a session subscribes to the Server object's
/// events, and to the data changes of <c>Plant.Temperature.Upper</c>, at <c>--publishing-interval</c>; each run opens
/// the upper thermocouple's circuit (POST /simulation/faults on the sensors service) and waits for the OffNormalAlarm
/// <c>Plant.Temperature.Upper.BadReading</c> to arrive active, then clears the fault and waits for it to arrive
/// inactive, <c>--runs</c> times at random offsets to the poll. The figure is the time from the first Bad sample (its
/// SourceTimestamp, stamped by the sensors service when it sampled the open circuit; both services run on this machine,
/// so both times come from the same clock) to the alarm's arrival; the time from the fault's injection, which adds the
/// sensors service's own sampling period, is printed beside it. Prints p50/max against the goal, the poll interval plus
/// one publishing interval.
/// Usage: <c>opcserver-alarm-latency URL --sensors URL [--runs 10] [--poll-interval 100] [--publishing-interval 100]</c>
/// (the poll interval is the server's setting, given here only to state the goal).
/// </summary>
internal static class AlarmLatencyDriver
{
    public static async Task<int> RunAsync(string[] args)
    {
        var sensors = DriverArgs.Value(args, "--sensors");
        if (args.Length < 1 || args[0].StartsWith("--", StringComparison.Ordinal) || sensors is null)
        {
            await Console.Error.WriteLineAsync("usage: opcserver-alarm-latency URL --sensors URL [--runs N] [--poll-interval MS] [--publishing-interval MS]");
            return 2;
        }
        var url = args[0];
        var runs = DriverArgs.Int(args, "--runs", 10);
        var pollMs = DriverArgs.Double(args, "--poll-interval", 100);
        var publishingMs = DriverArgs.Double(args, "--publishing-interval", 100);

        using var http = new HttpClient { BaseAddress = new Uri(sensors) };
        await using var client = await OpcUaClient.ConnectAsync(url);
        await client.OpenSessionAsync("bench-alarm-latency");
        var namespaces = (string[])(await client.ReadValueAsync(NodeId.Of(VariableIds.Server_NamespaceArray))).Value.Value!;
        var ns = (ushort)Array.IndexOf(namespaces, "urn:thermalplant:plant");
        var condition = NodeId.Of("Plant.Temperature.Upper.BadReading", ns);
        await using var subscription = await client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = publishingMs });
        var items = await subscription.AddAsync(
        [
            MonitoredItemRequest.Events(NodeId.Of(ObjectIds.Server), Select([ConditionId(), Field("ActiveState/Id", ObjectTypeIds.AlarmConditionType)])),
            new MonitoredItemRequest(NodeId.Of("Plant.Temperature.Upper", ns)) { SamplingInterval = 0 },
        ]);
        if (items.Any(i => !i.Status.IsGood)) throw new InvalidOperationException($"an item was refused: {string.Join(", ", items.Select(i => i.Status))}");
        var events = subscription.ReadEventsAsync().GetAsyncEnumerator();
        // The newest change of the variable between Good and Bad: when the sensors service sampled it.
        DateTime? badSince = null, goodSince = null;
        using var stopReading = new CancellationTokenSource();
        var changes = Task.Run(async () =>
        {
            try
            {
                await foreach (var change in subscription.ReadAllAsync(stopReading.Token))
                {
                    lock (items)
                    {
                        if (change.Value.Status.IsBad) badSince ??= change.Value.SourceTimestamp ?? DateTime.UtcNow;
                        else goodSince ??= change.Value.SourceTimestamp ?? DateTime.UtcNow;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        var raised = new List<double>();
        var fromInjection = new List<double>();
        var cleared = new List<double>();
        try
        {
            for (var run = 0; run < runs; run++)
            {
                // A random offset to the poll, so the runs sample where in the poll interval the reading goes Bad.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * pollMs));
                lock (items) badSince = null;
                var clock = Stopwatch.StartNew();
                var created = await http.PostAsJsonAsync("simulation/faults", new { type = "open_thermocouple", target = "upper" });
                created.EnsureSuccessStatusCode();
                await UntilAsync(events, condition, active: true);
                var arrived = DateTime.UtcNow;
                fromInjection.Add(clock.Elapsed.TotalMilliseconds);
                raised.Add((arrived - await SampledAsync(() => badSince)).TotalMilliseconds);

                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * pollMs));
                lock (items) goodSince = null;
                (await http.DeleteAsync(created.Headers.Location)).EnsureSuccessStatusCode();
                await UntilAsync(events, condition, active: false);
                arrived = DateTime.UtcNow;
                cleared.Add((arrived - await SampledAsync(() => goodSince)).TotalMilliseconds);
            }
        }
        finally
        {
            // The event enumerator is left to the subscription's end: disposing it while a read waits is not supported.
            await stopReading.CancelAsync();
            await changes;
        }

        // The variable's change comes in the same publish as the alarm, and may be handed over just after it.
        async Task<DateTime> SampledAsync(Func<DateTime?> read)
        {
            for (var i = 0; i < 200; i++)
            {
                lock (items)
                {
                    if (read() is { } at) return at;
                }
                await Task.Delay(10);
            }
            throw new TimeoutException("the variable's change did not arrive with its alarm");
        }
        await subscription.DisposeAsync();
        await client.CloseAsync();

        var goal = pollMs + subscription.RevisedPublishingInterval;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Bad reading to alarm at a client (poll {pollMs:F0} ms, publishing {subscription.RevisedPublishingInterval:F0} ms, {runs} runs): from the Bad sample p50 {Percentile(raised, 0.5):F0} ms, max {raised.Max():F0} ms (goal <= {goal:F0} ms, max / goal {raised.Max() / goal:F2}); from the fault's injection p50 {Percentile(fromInjection, 0.5):F0} ms, max {fromInjection.Max():F0} ms; Good sample to the alarm back to normal p50 {Percentile(cleared, 0.5):F0} ms, max {cleared.Max():F0} ms"));
        return 0;
    }

    private static async Task UntilAsync(IAsyncEnumerator<EventNotification> events, NodeId condition, bool active)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var next = events.MoveNextAsync().AsTask();
            if (await Task.WhenAny(next, Task.Delay(Timeout.Infinite, timeout.Token)) != next) throw new TimeoutException($"{condition} did not arrive {(active ? "active" : "inactive")} within 30 s");
            if (!await next) throw new InvalidOperationException("the subscription ended");
            var fields = events.Current.Fields;
            if (condition.Equals(fields[0].Value) && fields[1].Value is bool state && state == active) return;
        }
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(p * sorted.Length))];
    }
}
