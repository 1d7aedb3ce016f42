using System.Globalization;
using System.Text;
using ThermalPlant.OpcUa.Client;

namespace ThermalPlant.Benchmarks.Load;

/// <summary>
/// End-to-end freshness of the OPC UA server service (issue 5): one session subscribes to every variable under
/// Objects/Plant (found by browsing; sampling interval 0, so the server reports each new value as it is set) and,
/// for each data change, takes the time it arrives minus the value's SourceTimestamp, the moment the sensors
/// service published the sample. Both services run on this machine, so both times come from the same clock.
/// The figure is split at the ServerTimestamp (when the server set the value after a poll): sample to server is
/// waiting for the next poll plus the trip through the DMZ, server to client is waiting for the next publish plus
/// the trip to the client. Prints p50/p99/max and p99 over the poll interval (goal &lt;= 1.5).
/// Usage: <c>opcserver-freshness URL [--seconds 10] [--warmup 1] [--poll-interval 100] [--publishing-interval 20]</c>
/// (intervals in ms; the poll interval is the server's setting, given here only to state the ratio).
/// </summary>
internal static class OpcServerFreshnessDriver
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 1 || args[0].StartsWith("--", StringComparison.Ordinal))
        {
            await Console.Error.WriteLineAsync("usage: opcserver-freshness URL [--seconds N] [--warmup N] [--poll-interval MS] [--publishing-interval MS]");
            return 2;
        }
        var url = args[0];
        var seconds = DriverArgs.Double(args, "--seconds", 10);
        var warmup = DriverArgs.Double(args, "--warmup", 1);
        var pollMs = DriverArgs.Double(args, "--poll-interval", 100);
        var publishingMs = DriverArgs.Double(args, "--publishing-interval", 20);

        await using var client = await OpcUaClient.ConnectAsync(url);
        await client.OpenSessionAsync("bench-freshness");
        var variables = await PlantVariables.BrowseAsync(client);
        var measured = await MeasureAsync(client, variables, seconds, warmup, pollMs, publishingMs);
        // The subscription is deleted by then, so the session closes cleanly.
        await client.CloseAsync();
        return measured;
    }

    private static async Task<int> MeasureAsync(OpcUaClient client, List<PlantVariable> variables, double seconds, double warmup, double pollMs, double publishingMs)
    {
        await using var subscription = await client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = publishingMs });
        var items = await subscription.AddAsync([.. variables.Select(v => new MonitoredItemRequest(v.Node) { SamplingInterval = 0 })]);
        var refused = items.Count(i => !i.Status.IsGood);
        var groupOf = new Dictionary<uint, string>();
        for (var i = 0; i < items.Length; i++) groupOf[items[i].ClientHandle] = variables[i].Group;

        var total = new List<double>();
        var toServer = new List<double>();
        var toClient = new List<double>();
        var byGroup = new SortedDictionary<string, List<double>>(StringComparer.Ordinal);
        var initial = new HashSet<uint>();
        long bad = 0, gaps = 0;
        var measureFrom = DateTime.UtcNow + TimeSpan.FromSeconds(warmup);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(warmup + seconds));
        try
        {
            await foreach (var change in subscription.ReadAllAsync(stop.Token))
            {
                var received = DateTime.UtcNow;
                // An item's first value is the one current when it was created, however old: not a new sample.
                if (initial.Add(change.Item.ClientHandle)) continue;
                // The warm-up lets the server's publish path and this client's JIT settle outside the window.
                if (received < measureFrom) continue;
                if (!change.Value.Status.IsGood || change.Value.SourceTimestamp is not { } source)
                {
                    bad++;
                    continue;
                }
                if (change.GapBefore) gaps++;
                var ms = (received - source).TotalMilliseconds;
                total.Add(ms);
                if (change.Value.ServerTimestamp is { } server)
                {
                    toServer.Add((server - source).TotalMilliseconds);
                    toClient.Add((received - server).TotalMilliseconds);
                }
                var group = groupOf.GetValueOrDefault(change.Item.ClientHandle, "?");
                if (!byGroup.TryGetValue(group, out var list)) byGroup[group] = list = [];
                list.Add(ms);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        foreach (var list in byGroup.Values.Append(total).Append(toServer).Append(toClient)) list.Sort();
        var p99 = PlantVariables.Percentile(total, 0.99);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"opcserver freshness: {total.Count} data changes of {variables.Count} variables in {seconds:F0} s (poll {pollMs:F0} ms, publishing {subscription.RevisedPublishingInterval:F0} ms, sampling 0), sample to client p50 {PlantVariables.Percentile(total, 0.5):F1} ms, p99 {p99:F1} ms, max {(total.Count > 0 ? total[^1] : double.NaN):F1} ms; p99 = {p99 / pollMs:F2} x the poll interval (goal <= 1.5)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  sample to server (waiting for the poll + DMZ): p50 {PlantVariables.Percentile(toServer, 0.5):F1} ms, p99 {PlantVariables.Percentile(toServer, 0.99):F1} ms; server to client (waiting for the publish + transport): p50 {PlantVariables.Percentile(toClient, 0.5):F1} ms, p99 {PlantVariables.Percentile(toClient, 0.99):F1} ms"));
        var groups = new StringBuilder("  by group (sample to client):");
        foreach (var (group, list) in byGroup)
        {
            groups.Append(CultureInfo.InvariantCulture, $" {group} p50 {PlantVariables.Percentile(list, 0.5):F1} / p99 {PlantVariables.Percentile(list, 0.99):F1} ms ({list.Count});");
        }
        Console.WriteLine(groups.Append(CultureInfo.InvariantCulture, $" Bad values {bad}, gaps {gaps}, items refused {refused}"));
        return total.Count > 0 && refused == 0 ? 0 : 1;
    }
}
