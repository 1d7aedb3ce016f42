using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Transport;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.Benchmarks.Load;

/// <summary>
/// The resource attacks of issue 13 (items 1 and 2) against an OPC UA server in its own process (<c>opcua-serve
/// --history N</c>), and what they cost the server and a legitimate client:
/// 1. <c>--silent</c> sockets from <c>--silent-from</c> (another loopback address) connect and send Hello, then nothing;
///    a legitimate client from 127.0.0.1 then tries until it has a session and a read (at most <c>--budget</c> s),
///    and the first silent socket is watched until the server closes it (at most <c>--budget</c> s);
/// 2. <c>--sessions</c> sessions at once each send <c>--requests</c> HistoryReads of <c>--nodes</c> nodes (the bench
///    variables over and over), 1970 to 2100 with 0 values per node (all), without following continuation points,
///    while a legitimate session reads the server state every 100 ms.
/// The server's RSS comes from /proc/PID/status: before, its peak sampled every 50 ms during the attack, and 5 s after.
/// Usage: <c>opcua-attack URL --pid PID [--silent 500] [--silent-from 127.0.0.2] [--budget 30] [--sessions 8]
/// [--requests 2] [--nodes 625] [--variables 100]</c>.
/// </summary>
internal static class OpcUaAttackDriver
{
    private static readonly DateTime Epoch = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime Far = new(2100, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public static async Task<int> RunAsync(string[] args)
    {
        var pid = DriverArgs.Int(args, "--pid", 0);
        if (args.Length < 1 || args[0].StartsWith("--", StringComparison.Ordinal) || pid <= 0)
        {
            await Console.Error.WriteLineAsync("usage: opcua-attack URL --pid PID [--silent N] [--silent-from ADDRESS] [--budget S] [--sessions N] [--requests N] [--nodes N] [--variables N]");
            return 2;
        }
        var url = args[0];
        var silentCount = DriverArgs.Int(args, "--silent", 500);
        var silentFrom = IPAddress.Parse(DriverArgs.Value(args, "--silent-from") ?? "127.0.0.2");
        var budget = TimeSpan.FromSeconds(DriverArgs.Double(args, "--budget", 30));
        var sessionCount = DriverArgs.Int(args, "--sessions", 8);
        var requests = DriverArgs.Int(args, "--requests", 2);
        var nodeCount = DriverArgs.Int(args, "--nodes", 625);
        var variableCount = DriverArgs.Int(args, "--variables", 100);
        var endpoint = new Uri(url);

        var baseline = Rss(pid);
        await SilentSocketsAsync(url, endpoint, silentCount, silentFrom, budget);
        await HistoryAttackAsync(url, pid, baseline, sessionCount, requests, nodeCount, variableCount);
        return 0;
    }

    private static async Task SilentSocketsAsync(string url, Uri endpoint, int count, IPAddress from, TimeSpan budget)
    {
        var sockets = new List<Socket>();
        var opened = Stopwatch.StartNew();
        var failed = 0;
        try
        {
            for (var i = 0; i < count; i++)
            {
                try
                {
                    sockets.Add(await HelloOnlyAsync(endpoint, from, url));
                }
                catch (SocketException)
                {
                    failed++;
                }
            }

            var waited = Stopwatch.StartNew();
            string outcome;
            string? lastError = null;
            while (true)
            {
                try
                {
                    await using var client = await OpcUaClient.ConnectAsync(url);
                    await client.OpenSessionAsync("bench-attack-legitimate");
                    await client.ReadValueAsync(NodeId.Of(VariableIds.Server_ServerStatus_State));
                    outcome = Invariant($"session and read after {waited.Elapsed.TotalSeconds:0.000} s");
                    break;
                }
                catch (Exception ex) when (ex is OpcUaException or IOException or SocketException or TimeoutException or OperationCanceledException)
                {
                    lastError = ex is OpcUaException ua ? ua.Status.ToString() : ex.GetType().Name;
                    if (waited.Elapsed > budget)
                    {
                        outcome = Invariant($"no session within {budget.TotalSeconds:0} s (last error: {lastError})");
                        break;
                    }
                    await Task.Delay(200);
                }
            }
            Console.WriteLine(Invariant($"opcua-attack silent sockets: {count} from {from} sending Hello then nothing ({sockets.Count} connected, {failed} refused at connect); legitimate client from 127.0.0.1: {outcome}"));

            var held = sockets.Count > 0 ? await HeldAsync(sockets[0], opened, budget) : "no socket connected";
            Console.WriteLine(Invariant($"opcua-attack first silent socket: {held}"));
        }
        finally
        {
            foreach (var socket in sockets) socket.Dispose();
        }
    }

    /// <summary>How long the server kept <paramref name="socket"/> open (since <paramref name="opened"/>), and how it ended.</summary>
    private static async Task<string> HeldAsync(Socket socket, Stopwatch opened, TimeSpan budget)
    {
        using var timeout = new CancellationTokenSource(budget - opened.Elapsed > TimeSpan.Zero ? budget - opened.Elapsed : TimeSpan.FromMilliseconds(1));
        var buffer = new byte[8192];
        var error = "";
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer, timeout.Token);
                if (read == 0) break;
                if (read >= MessageHeader.Length + 4 && MessageHeader.Read(buffer).Type == MessageType.Error)
                {
                    error = ", " + ErrorMessage.Decode(buffer.AsSpan(MessageHeader.Length, read - MessageHeader.Length)).Status;
                }
            }
            return Invariant($"closed by the server after {opened.Elapsed.TotalSeconds:0.0} s{error}");
        }
        catch (OperationCanceledException)
        {
            return Invariant($"still open after {budget.TotalSeconds:0} s (the probe's limit)");
        }
        catch (SocketException ex)
        {
            return Invariant($"reset by the server after {opened.Elapsed.TotalSeconds:0.0} s ({ex.SocketErrorCode})");
        }
    }

    private static async Task<Socket> HelloOnlyAsync(Uri endpoint, IPAddress from, string url)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(from, 0));
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(endpoint.Host), endpoint.Port));
            using var body = new BinaryEncoder();
            new HelloMessage(0, TransportLimits.Default, url).Encode(body);
            var frame = new byte[MessageHeader.Length + body.Written.Length];
            new MessageHeader(MessageType.Hello, ChunkType.Final, (uint)frame.Length).Write(frame);
            body.Written.CopyTo(frame.AsSpan(MessageHeader.Length));
            await socket.SendAsync(frame);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task HistoryAttackAsync(string url, int pid, long baseline, int sessionCount, int requests, int nodeCount, int variableCount)
    {
        var options = new OpcUaClientOptions { RequestTimeout = TimeSpan.FromMinutes(5) };
        var attackers = new List<OpcUaClient>();
        await using var legitimate = await OpcUaClient.ConnectAsync(url);
        await legitimate.OpenSessionAsync("bench-attack-legitimate");
        var namespaces = (string[])(await legitimate.ReadValueAsync(NodeId.Of(VariableIds.Server_NamespaceArray))).Value.Value!;
        var ns = (ushort)Array.IndexOf(namespaces, BenchTree.NamespaceUri);
        var nodes = Enumerable.Range(0, nodeCount).Select(i => new HistoryReadValueId { NodeId = NodeId.Of(BenchTree.Identifier(i % variableCount), ns) }).ToArray();
        try
        {
            for (var i = 0; i < sessionCount; i++)
            {
                var client = await OpcUaClient.ConnectAsync(url, options);
                attackers.Add(client);
                await client.OpenSessionAsync(Invariant($"bench-attack-{i}"));
            }

            using var stop = new CancellationTokenSource();
            var peak = 0L;
            var sampler = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    peak = Math.Max(peak, Rss(pid));
                    await Task.Delay(50);
                }
            });
            var latencies = new List<double>();
            var reader = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    var started = Stopwatch.GetTimestamp();
                    await legitimate.ReadValueAsync(NodeId.Of(VariableIds.Server_ServerStatus_State));
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    await Task.Delay(100);
                }
            });

            long values = 0, faults = 0;
            var faultNames = new HashSet<string>(StringComparer.Ordinal);
            var lockObject = new Lock();
            var elapsed = Stopwatch.StartNew();
            await Task.WhenAll(attackers.Select(client => Task.Run(async () =>
            {
                for (var r = 0; r < requests; r++)
                {
                    try
                    {
                        var details = ExtensionObject.From(new ReadRawModifiedDetails { StartTime = Epoch, EndTime = Far, NumValuesPerNode = 0 });
                        var response = await client.CallAsync<HistoryReadResponse>(new HistoryReadRequest { HistoryReadDetails = details, TimestampsToReturn = TimestampsToReturn.Both, NodesToRead = nodes });
                        var count = response.Results!.Sum(x => x.HistoryData.Decode() is HistoryData data ? data.DataValues?.Length ?? 0 : 0);
                        Interlocked.Add(ref values, count);
                    }
                    catch (Exception ex) when (ex is OpcUaException or IOException or TimeoutException)
                    {
                        Interlocked.Increment(ref faults);
                        lock (lockObject) faultNames.Add(ex is OpcUaException ua ? ua.Status.ToString() : ex.GetType().Name);
                    }
                }
            })));
            var attackTime = elapsed.Elapsed;
            await stop.CancelAsync();
            await sampler;
            await reader;
            await Task.Delay(TimeSpan.FromSeconds(5));
            var after = Rss(pid);
            latencies.Sort();
            var p50 = latencies.Count > 0 ? latencies[latencies.Count / 2] : double.NaN;
            var max = latencies.Count > 0 ? latencies[^1] : double.NaN;
            Console.WriteLine(Invariant($"opcua-attack history: {sessionCount} sessions x {requests} HistoryReads x {nodeCount} nodes, 1970..2100, 0 values per node, in {attackTime.TotalSeconds:0.0} s: {values:N0} values answered, {faults} failed ({string.Join(", ", faultNames)})"));
            Console.WriteLine(Invariant($"opcua-attack server RSS: {Mb(baseline)} MB before, peak {Mb(peak)} MB during the attack (VmHWM {Mb(Peak(pid))} MB), {Mb(after)} MB 5 s after; legitimate Read during it: p50 {p50:0.0} ms, max {max:0.0} ms ({latencies.Count} reads)"));
        }
        finally
        {
            foreach (var client in attackers) await client.DisposeAsync();
        }
    }

    private static long Rss(int pid) => Status(pid, "VmRSS:");

    private static long Peak(int pid) => Status(pid, "VmHWM:");

    /// <summary>A kB figure of /proc/PID/status, in bytes.</summary>
    private static long Status(int pid, string key)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }
        return 0;
    }

    private static string Mb(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
