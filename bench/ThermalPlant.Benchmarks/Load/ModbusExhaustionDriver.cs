using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ThermalPlant.Benchmarks.Load;

/// <summary>
/// Modbus connection exhaustion (issue 13, item 7), against a published electrolyzer simulator started by the driver
/// in its own process (<c>--server PATH/ThermalPlant.Electrolyzer.dll</c>, so a build of another commit can be measured
/// the same way). A legitimate client on 127.0.0.1 connects before the attack and reads a register every 100 ms, as
/// the scraper does; then <c>--held</c> sockets from 127.0.0.2 connect and each sends one read every
/// <c>--hold-interval</c> seconds while it stays open. For <c>--seconds</c> the driver measures the polling client's
/// read latency (p50, p99, max, failures), and every 500 ms a newcomer on 127.0.0.1 (as a scraper reconnecting after
/// a restart) that connects and reads, retrying every 100 ms until it gets an answer: the time it waited. It prints
/// the server's resident memory before and during the attack and its peak (VmHWM), and how many attacking sockets
/// the server kept. Usage: <c>modbus-exhaustion --server DLL [--held 1000] [--hold-interval 25] [--seconds 10]</c>.
/// </summary>
internal static class ModbusExhaustionDriver
{
    private static readonly IPAddress Attacker = IPAddress.Parse("127.0.0.2");
    private static readonly TimeSpan NewcomerTimeout = TimeSpan.FromSeconds(2);

    public static async Task<int> RunAsync(string[] args)
    {
        var dll = DriverArgs.Value(args, "--server");
        if (dll is null || !File.Exists(dll))
        {
            await Console.Error.WriteLineAsync("usage: modbus-exhaustion --server PATH/ThermalPlant.Electrolyzer.dll [--held 1000] [--hold-interval 25] [--seconds 10]");
            return 2;
        }
        var held = DriverArgs.Int(args, "--held", 1000);
        var holdInterval = TimeSpan.FromSeconds(DriverArgs.Double(args, "--hold-interval", 25));
        var seconds = DriverArgs.Int(args, "--seconds", 10);

        var port = FreePort();
        using var server = StartServer(dll, port);
        try
        {
            var poller = await ConnectWithinAsync(IPAddress.Loopback, port, TimeSpan.FromSeconds(60));
            var (warm, _) = await ExchangeAsync(poller, NewcomerTimeout);
            if (!warm) throw new InvalidOperationException("the server did not answer the polling client before the attack");
            var rssBefore = Memory(server.Id, "VmRSS");

            using var stop = new CancellationTokenSource();
            var sockets = await Task.WhenAll(Enumerable.Range(0, held).Select(_ => TryConnectAsync(Attacker, port)));
            var answered = new int[1];
            var holders = sockets.Where(s => s is not null).Select(s => HoldAsync(s!, holdInterval, answered, stop.Token)).ToList();

            var latencies = new List<double>();
            var failures = 0;
            var waits = new List<double>();
            var neverServed = 0;
            var clock = Stopwatch.StartNew();
            var newcomers = NewcomersAsync(port, TimeSpan.FromSeconds(seconds), waits, () => Interlocked.Increment(ref neverServed), stop.Token);
            while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                var (ok, took) = await ExchangeAsync(poller, NewcomerTimeout);
                if (ok)
                {
                    latencies.Add(took.TotalMilliseconds);
                }
                else
                {
                    failures++;
                    poller.Dispose();
                    poller = await TryConnectAsync(IPAddress.Loopback, port) ?? poller;
                }
                await Task.Delay(100);
            }
            await newcomers;
            var rssDuring = Memory(server.Id, "VmRSS");
            var rssPeak = Memory(server.Id, "VmHWM");
            var kept = Volatile.Read(ref answered[0]);
            await stop.CancelAsync();
            await Task.WhenAll(holders);
            foreach (var socket in sockets) socket?.Dispose();
            poller.Dispose();

            latencies.Sort();
            waits.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"modbus exhaustion: {held} sockets from 127.0.0.2 ({sockets.Count(s => s is not null)} connected, {kept} got an answer), one read each every {holdInterval.TotalSeconds:F0} s, for {seconds} s"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  polling client (connected before): {latencies.Count} reads, p50 {Percentile(latencies, 0.5):F2} ms, p99 {Percentile(latencies, 0.99):F2} ms, max {(latencies.Count > 0 ? latencies[^1] : double.NaN):F2} ms, {failures} failed"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  newcomers (connect + read, retried every 100 ms): {waits.Count} served, waited p50 {Percentile(waits, 0.5):F1} ms, max {(waits.Count > 0 ? waits[^1] : double.NaN):F1} ms; {neverServed} never served within the run"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  server RSS: {rssBefore / 1024.0:F1} MB before the attack, {rssDuring / 1024.0:F1} MB during, peak {rssPeak / 1024.0:F1} MB"));
            return 0;
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }
        }
    }

    private static Process StartServer(string dll, int port)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(dll))!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[]
        {
            Path.GetFullPath(dll), "--urls", $"http://127.0.0.1:{FreePort()}", "--Methanation:Enabled=false",
            "--Electrolyzer:ModbusAddress=127.0.0.1", $"--Electrolyzer:ModbusPort={port}", "--Serilog:MinimumLevel:Default=Error",
        })
        {
            info.ArgumentList.Add(arg);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("the electrolyzer simulator did not start");
        // Its output is drained and dropped: a full pipe would stall it.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>A newcomer every 500 ms, each retrying until served; adds each one's wait (ms), or counts it as never served.</summary>
    private static async Task NewcomersAsync(int port, TimeSpan duration, List<double> waits, Action neverServed, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var tries = new List<Task>();
        while (clock.Elapsed < duration)
        {
            tries.Add(Task.Run(async () =>
            {
                var started = Stopwatch.GetTimestamp();
                while (clock.Elapsed < duration && !cancellationToken.IsCancellationRequested)
                {
                    using var socket = await TryConnectAsync(IPAddress.Loopback, port);
                    if (socket is not null && (await ExchangeAsync(socket, NewcomerTimeout)).Ok)
                    {
                        lock (waits) waits.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        return;
                    }
                    await Task.Delay(100, CancellationToken.None);
                }
                neverServed();
            }, CancellationToken.None));
            await Task.Delay(500, CancellationToken.None);
        }
        await Task.WhenAll(tries);
    }

    /// <summary>One read of holding register 0x8006 (the PEMEL set point); false on any failure or after <paramref name="timeout"/>.</summary>
    private static async Task<(bool Ok, TimeSpan Took)> ExchangeAsync(Socket socket, TimeSpan timeout)
    {
        var frame = ReadFrame();
        var answer = new byte[11];
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var deadline = new CancellationTokenSource(timeout);
            await socket.SendAsync(frame, deadline.Token);
            var read = 0;
            while (read < answer.Length)
            {
                var n = await socket.ReceiveAsync(answer.AsMemory(read), deadline.Token);
                if (n == 0) return (false, Stopwatch.GetElapsedTime(started));
                read += n;
            }
            return (answer[7] == 0x03, Stopwatch.GetElapsedTime(started));
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            return (false, Stopwatch.GetElapsedTime(started));
        }
    }

    private static async Task HoldAsync(Socket socket, TimeSpan interval, int[] answered, CancellationToken cancellationToken)
    {
        var counted = false;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var (ok, _) = await ExchangeAsync(socket, NewcomerTimeout);
                if (!ok) return;
                if (!counted)
                {
                    Interlocked.Increment(ref answered[0]);
                    counted = true;
                }
                await Task.Delay(interval, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static byte[] ReadFrame()
    {
        var frame = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(0), 1);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(4), 6);
        frame[7] = 0x03;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(8), 0x8006);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(10), 1);
        return frame;
    }

    private static async Task<Socket?> TryConnectAsync(IPAddress from, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(from, 0));
            using var deadline = new CancellationTokenSource(NewcomerTimeout);
            await socket.ConnectAsync(IPAddress.Loopback, port, deadline.Token);
            return socket;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            return null;
        }
    }

    private static async Task<Socket> ConnectWithinAsync(IPAddress from, int port, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await TryConnectAsync(from, port) is { } socket) return socket;
            if (clock.Elapsed > within) throw new InvalidOperationException($"nothing listens on 127.0.0.1:{port} after {within.TotalSeconds} s");
            await Task.Delay(200);
        }
    }

    /// <summary>A field of /proc/PID/status in kB (VmRSS now, VmHWM the peak).</summary>
    private static long Memory(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
