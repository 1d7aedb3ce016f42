using System.Diagnostics;
using System.Globalization;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.Benchmarks.Load;

/// <summary>
/// Read throughput and server CPU per value: against each target server (one already running process each,
/// serving <see cref="BenchTree"/>), opens <c>--sessions</c> sessions with our client, each keeping
/// <c>--in-flight</c> ReadRequests of all <c>--variables</c> values outstanding for <c>--seconds</c>, and takes
/// the server's CPU time from /proc/PID/stat (utime + stime) before and after. Prints values/s and server CPU
/// seconds per million values for each, and the anchor's CPU per value over each other target's.
/// Usage: <c>opcua-read-throughput --target NAME URL PID [--target ...] [--anchor NAME] [--seconds 10]
/// [--warmup 2] [--sessions 4] [--in-flight 1] [--variables 1000] [--clock-ticks 100]</c>.
/// </summary>
internal static class OpcUaReadThroughputDriver
{
    private sealed record Target(string Name, string Url, int Pid);

    private sealed record Result(Target Target, long Values, double WallSeconds, double ServerCpuSeconds, long BadValues)
    {
        public double ValuesPerSecond => Values / WallSeconds;

        public double CpuSecondsPerMillionValues => ServerCpuSeconds * 1e6 / Values;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var targets = Targets(args);
        if (targets.Count == 0)
        {
            await Console.Error.WriteLineAsync("usage: opcua-read-throughput --target NAME URL PID [--target ...] [--anchor NAME] [--seconds N] [--warmup N] [--sessions N] [--in-flight N] [--variables N] [--clock-ticks N]");
            return 2;
        }
        var seconds = DriverArgs.Double(args, "--seconds", 10);
        var warmup = DriverArgs.Double(args, "--warmup", Math.Min(2, seconds));
        var sessions = DriverArgs.Int(args, "--sessions", 4);
        // One request in flight per session: OpcUaClient numbers a message's chunks before it takes its send lock,
        // so concurrent requests on one channel can go out of sequence order, which servers (ours) refuse.
        var inFlight = DriverArgs.Int(args, "--in-flight", 1);
        var variables = DriverArgs.Int(args, "--variables", 1000);
        var clockTicks = DriverArgs.Int(args, "--clock-ticks", 100);
        var anchorName = DriverArgs.Value(args, "--anchor") ?? targets[0].Name;

        var results = new List<Result>();
        foreach (var target in targets)
        {
            var result = await MeasureAsync(target, variables, sessions, inFlight, warmup, seconds, clockTicks);
            results.Add(result);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"opcua read {result.Target.Name}: {result.ValuesPerSecond:F0} values/s ({result.ValuesPerSecond / variables:F0} reads/s of {variables} values, {sessions} sessions x {inFlight} in flight, {result.WallSeconds:F1} s), server CPU {result.ServerCpuSeconds:F2} s = {result.CpuSecondsPerMillionValues:F3} CPU s per million values, bad values {result.BadValues}"));
        }

        var anchor = results.Find(r => r.Target.Name == anchorName);
        if (anchor is not null)
        {
            foreach (var result in results.Where(r => r.Target.Name != anchor.Target.Name))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"opcua read: {result.Target.Name} uses {anchor.CpuSecondsPerMillionValues / result.CpuSecondsPerMillionValues:F2} x fewer server CPU seconds per value than {anchor.Target.Name} (goal >= 5); throughput {result.ValuesPerSecond / anchor.ValuesPerSecond:F2} x"));
            }
        }
        return results.All(r => r.BadValues == 0 && r.Values > 0) ? 0 : 1;
    }

    private static async Task<Result> MeasureAsync(Target target, int variables, int sessions, int inFlight, double warmup, double seconds, int clockTicks)
    {
        var clients = new List<OpcUaClient>();
        try
        {
            for (var i = 0; i < sessions; i++)
            {
                var client = await OpcUaClient.ConnectAsync(target.Url);
                clients.Add(client);
                await client.OpenSessionAsync(string.Create(CultureInfo.InvariantCulture, $"bench-{i}"));
            }
            var nodes = await NodesAsync(clients[0], variables);

            // Warm up both sides (JIT, V8's optimiser, pools) outside the measured window.
            await LoadAsync(clients, nodes, inFlight, warmup);
            var cpuBefore = ProcessCpu.Seconds(target.Pid, clockTicks);
            var wall = Stopwatch.StartNew();
            var (values, bad) = await LoadAsync(clients, nodes, inFlight, seconds);
            var elapsed = wall.Elapsed.TotalSeconds;
            var cpu = ProcessCpu.Seconds(target.Pid, clockTicks) - cpuBefore;
            foreach (var client in clients) await client.CloseAsync();
            return new Result(target, values, elapsed, cpu, bad);
        }
        finally
        {
            // Disposing a closed client does nothing; this only drops the connections of a run that failed.
            foreach (var client in clients) await client.DisposeAsync();
        }
    }

    /// <summary>The ReadValueIds of every variable's Value, in the namespace index this server gave the tree; checks one read of them.</summary>
    private static async Task<ReadValueId[]> NodesAsync(OpcUaClient client, int variables)
    {
        var namespaces = (await client.ReadValueAsync(NodeId.Of(VariableIds.Server_NamespaceArray))).Value.Value as string[] ?? [];
        var ns = Array.IndexOf(namespaces, BenchTree.NamespaceUri);
        if (ns < 0) throw new InvalidOperationException($"{client.EndpointUrl} has no namespace {BenchTree.NamespaceUri}");
        var nodes = new ReadValueId[variables];
        for (var i = 0; i < variables; i++)
        {
            nodes[i] = new ReadValueId { NodeId = NodeId.Of(BenchTree.Identifier(i), (ushort)ns), AttributeId = (uint)AttributeId.Value };
        }
        var first = await client.ReadAsync(nodes);
        if (first.Length != variables || first.Any(v => !v.Status.IsGood || v.Value.Type != BuiltInType.Double))
        {
            throw new InvalidOperationException($"{client.EndpointUrl} does not serve {variables} Good Double values under Plant/Bench");
        }
        return nodes;
    }

    /// <summary>Keeps every session's requests in flight until the time is up; counts the values read and the Bad ones.</summary>
    private static async Task<(long Values, long Bad)> LoadAsync(List<OpcUaClient> clients, ReadValueId[] nodes, int inFlight, double seconds)
    {
        long values = 0, bad = 0;
        var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        async Task Loop(OpcUaClient client)
        {
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var results = await client.ReadAsync(nodes);
                var badHere = 0;
                foreach (var result in results)
                {
                    if (!result.Status.IsGood) badHere++;
                }
                Interlocked.Add(ref values, results.Length);
                Interlocked.Add(ref bad, badHere);
            }
        }
        await Task.WhenAll(clients.SelectMany(client => Enumerable.Range(0, inFlight).Select(_ => Loop(client))));
        return (values, bad);
    }

    private static List<Target> Targets(string[] args)
    {
        var targets = new List<Target>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] != "--target") continue;
            if (i + 3 >= args.Length) throw new ArgumentException("--target needs NAME URL PID");
            targets.Add(new Target(args[i + 1], args[i + 2], int.Parse(args[i + 3], CultureInfo.InvariantCulture)));
            i += 3;
        }
        return targets;
    }
}
