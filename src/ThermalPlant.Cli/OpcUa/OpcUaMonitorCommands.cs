using System.CommandLine;
using System.Globalization;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.Cli.OpcUa;

/// <summary><c>thermalplant opcua subscribe URL NODE...</c> and <c>opcua history URL NODE --from --to</c>.</summary>
internal static class OpcUaMonitorCommands
{
    public static Command Subscribe(Argument<string> url, OpcUaConnection connection)
    {
        var nodes = new Argument<string[]>("nodes") { Description = "NodeIds to monitor", Arity = ArgumentArity.OneOrMore };
        var interval = new Option<double>("--interval") { Description = "Publishing interval in ms", DefaultValueFactory = _ => 1000 };
        var sampling = new Option<double>("--sampling") { Description = "Sampling interval in ms (negative: the publishing interval)", DefaultValueFactory = _ => -1 };
        var deadband = new Option<double>("--deadband") { Description = "Absolute deadband (0: every change)" };
        var count = new Option<int>("--count") { Description = "Stop after this many changes (0: until interrupted)" };
        var seconds = new Option<double>("--seconds") { Description = "Stop after this many seconds (0: until interrupted)" };
        var jsonLines = new Option<bool>("--json") { Description = "Print one JSON object per change" };
        var command = new Command("subscribe", "Print data changes of nodes as they arrive") { url, nodes, interval, sampling, deadband, count, seconds, jsonLines };
        command.SetAction((result, cancel) => connection.RunAsync(result, result.GetValue(url)!, async client =>
        {
            var ids = result.GetValue(nodes)!;
            var band = result.GetValue(deadband);
            await using var subscription = await client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = result.GetValue(interval) }, cancel);
            var items = await subscription.AddAsync(
                [.. ids.Select(id => new MonitoredItemRequest(NodeId.Parse(id)) { SamplingInterval = result.GetValue(sampling), DeadbandType = band > 0 ? DeadbandType.Absolute : DeadbandType.None, Deadband = band })],
                cancel);
            var refused = items.Where(i => i.Status.IsBad).ToList();
            foreach (var item in refused) await Console.Error.WriteLineAsync($"error: {item.Node}: {item.Status}");
            if (refused.Count == items.Length) throw new OpcUaException(refused[0].Status, "no node could be monitored");

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            if (result.GetValue(seconds) > 0) stop.CancelAfter(TimeSpan.FromSeconds(result.GetValue(seconds)));
            var limit = result.GetValue(count);
            var seen = 0;
            try
            {
                await foreach (var change in subscription.ReadAllAsync(stop.Token))
                {
                    await connection.Output.WriteLineAsync(Line(change, result.GetValue(jsonLines)));
                    if (limit > 0 && ++seen >= limit) break;
                }
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                // --seconds ran out.
            }
        }, session: true, cancel));
        return command;
    }

    public static Command History(Argument<string> url, Option<bool> json, OpcUaConnection connection)
    {
        var node = new Argument<string>("node") { Description = "NodeId whose history to read" };
        var from = new Option<DateTime>("--from") { Description = "Start (UTC, ISO 8601)", Required = true, CustomParser = r => ParseTime(r.Tokens[0].Value) };
        var to = new Option<DateTime>("--to") { Description = "End (UTC, ISO 8601; default now)", CustomParser = r => ParseTime(r.Tokens[0].Value), DefaultValueFactory = _ => DateTime.UtcNow };
        var bounds = new Option<bool>("--bounds") { Description = "Also return the values around the range" };
        var command = new Command("history", "Read the raw history of a node") { url, node, from, to, bounds, json };
        command.SetAction((result, cancel) => connection.RunAsync(result, result.GetValue(url)!, async client =>
        {
            var values = await client.HistoryReadRawAsync(NodeId.Parse(result.GetValue(node)!), result.GetValue(from), result.GetValue(to), returnBounds: result.GetValue(bounds), cancellationToken: cancel);
            OpcUaCommands.Print(connection.Output, result.GetValue(json), ["source timestamp", "value", "status"],
                values.Select(v => new object?[] { v.SourceTimestamp?.ToString("O", CultureInfo.InvariantCulture) ?? "", v.Value, v.Status.ToString() }));
        }, session: true, cancel));
        return command;
    }

    internal static DateTime ParseTime(string text) =>
        DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    private static string Line(DataChange change, bool json)
    {
        var timestamp = change.Value.SourceTimestamp?.ToString("O", CultureInfo.InvariantCulture) ?? "";
        if (json)
        {
            return JsonOutput.Serialize(new Dictionary<string, object?>
            {
                ["node"] = change.Item.Node.ToString(),
                ["value"] = JsonOutput.Value(change.Value.Value),
                ["status"] = change.Value.Status.ToString(),
                ["sourceTimestamp"] = timestamp,
                ["gapBefore"] = change.GapBefore,
            });
        }
        var gap = change.GapBefore ? "  (values may be missing before this one)" : "";
        return $"{timestamp}  {change.Item.Node}  {OpcUaCommands.Format(change.Value.Value)}  {change.Value.Status}{gap}";
    }
}
