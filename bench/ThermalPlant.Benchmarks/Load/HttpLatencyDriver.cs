using System.Diagnostics;
using System.Globalization;

namespace ThermalPlant.Benchmarks.Load;

/// <summary>
/// Open-loop HTTP load at a fixed rate (wrk has none): each request is scheduled at its slot and its latency is
/// measured from that slot, so a stall delays every request behind it and shows in the percentiles
/// (no coordinated omission). Usage: <c>http-latency URL [--rate 1000] [--seconds 10]</c>.
/// </summary>
internal static class HttpLatencyDriver
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 1 || !Uri.TryCreate(args[0], UriKind.Absolute, out var url))
        {
            await Console.Error.WriteLineAsync("usage: http-latency URL [--rate N] [--seconds N]");
            return 2;
        }
        var rate = Option(args, "--rate", 1000);
        var seconds = Option(args, "--seconds", 10);
        var total = rate * seconds;
        var latencies = new double[total];
        var failures = 0;
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(5) };
        await client.GetByteArrayAsync(url);

        var clock = Stopwatch.StartNew();
        var tasks = new Task[total];
        for (var i = 0; i < total; i++)
        {
            var slot = TimeSpan.FromSeconds((double)i / rate);
            var wait = slot - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait);
            var index = i;
            tasks[i] = Task.Run(async () =>
            {
                try
                {
                    using var response = await client.GetAsync(url);
                    await response.Content.ReadAsByteArrayAsync();
                    if (!response.IsSuccessStatusCode) Interlocked.Increment(ref failures);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failures);
                }
                catch (TaskCanceledException)
                {
                    Interlocked.Increment(ref failures);
                }
                latencies[index] = (clock.Elapsed - slot).TotalMilliseconds;
            });
        }
        await Task.WhenAll(tasks);
        Array.Sort(latencies);
        var achieved = total / clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"http latency {url}: {achieved:F0} req/s offered {rate}, p50 {Percentile(latencies, 0.50):F2} ms, p99 {Percentile(latencies, 0.99):F2} ms, max {latencies[^1]:F2} ms, failures {failures} (goal p99 <= 5 ms at 1000 req/s)"));
        return failures == 0 ? 0 : 1;
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static int Option(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
