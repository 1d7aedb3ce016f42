using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using ThermalPlant.Scraper;
using ThermalPlant.Scraper.Delivery;
using ThermalPlant.Scraper.Transport;
using ThermalPlant.Storage.Schema;
using ThermalPlant.Storage.Writing;

namespace ThermalPlant.Benchmarks.Load;

/// <summary>
/// Issue 19: the scraper's path through a three-node NATS JetStream cluster into PostgreSQL against its direct path,
/// on this machine. The scraper host runs in this process with no sources; the driver adds samples to its queue, as
/// its sources do, so both paths run the scraper's own queue, batching and delivery: Direct, its binary-COPY writer;
/// Nats, its JetStream publisher, three nats-server nodes (stream replicas 3, file storage) and two published storage
/// writers, each its own process. Throughput: <c>--samples</c> samples of <c>--tags</c> tags queued as fast as the
/// queue takes them (at most 200,000 waiting), timed until the last row is committed. Delay: <c>--tags</c> tags at
/// 1 Hz for <c>--seconds</c>, each row's insert time (a column the benchmark adds, as the e2e driver does) minus its
/// sample time, p50/p99. CPU per million samples per part from /proc: the scraper (this process: the driver's own
/// sample making included, so an upper bound), the NATS nodes, the writers, PostgreSQL.
/// Usage: <c>cluster-ingest --writer PATH/ThermalPlant.StorageWriter.dll [--nats-server /usr/sbin/nats-server]
/// [--samples 2000000] [--tags 10000] [--seconds 30] [--clock-ticks 100] [--max-in-flight N]</c>; <c>--max-in-flight</c> sets the
/// scraper's <c>Scraper:Nats:MaxInFlight</c> (1: each publish waits for its acknowledgement, as before the window).
/// </summary>
internal static class ClusterIngestDriver
{
    private const string AddInsertTime = "ALTER TABLE sensor_values ADD COLUMN inserted_at timestamptz NOT NULL DEFAULT clock_timestamp()";
    private const int MaxWaiting = 200_000;

    public static async Task<int> RunAsync(string[] args)
    {
        var writerDll = DriverArgs.Value(args, "--writer");
        var natsServer = DriverArgs.Value(args, "--nats-server") ?? "/usr/sbin/nats-server";
        var samples = DriverArgs.Int(args, "--samples", 2_000_000);
        var tags = DriverArgs.Int(args, "--tags", 10_000);
        var seconds = DriverArgs.Int(args, "--seconds", 30);
        var clockTicks = DriverArgs.Int(args, "--clock-ticks", 100);
        var maxInFlight = DriverArgs.Int(args, "--max-in-flight", 32);
        if (writerDll is null || !File.Exists(writerDll) || !File.Exists(natsServer) || samples < tags || tags < 1 || seconds < 1 || maxInFlight < 1)
        {
            await Console.Error.WriteLineAsync("usage: cluster-ingest --writer PATH/ThermalPlant.StorageWriter.dll [--nats-server PATH] [--samples N >= tags] [--tags N] [--seconds N] [--clock-ticks N] [--max-in-flight N]  (nats-server: apt-get install nats-server)");
            return 2;
        }
        var cancellationToken = CancellationToken.None;
        await using var postgres = await PostgresCluster.StartAsync(cancellationToken);
        var keys = Enumerable.Range(0, tags).Select(i => new TagKey("opc.tcp://bench:4840/", $"ns=2;s=Bench.Var_{i:D5}", $"sensor{i % 10}", $"var_{i:D5}")).ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cluster-ingest: {samples} samples of {tags} tags through the scraper's queue, {maxInFlight} publishes in flight; PostgreSQL 15 (fsync on), {Environment.ProcessorCount} cores, load average {LoadAverage()}"));

        var direct = await RunPathAsync("direct", postgres, keys, samples, seconds, clockTicks, async (database, root) =>
        {
            var scraper = await StartScraperAsync(root, [$"--Scraper:Database:ConnectionString={database}"]);
            var before = ScraperMetrics.ValuesWritten.Value;
            return new Parts(scraper, [], [], () => Task.FromResult(ScraperMetrics.ValuesWritten.Value - before));
        });

        await using var nats = await NatsNodes.StartAsync(natsServer);
        var viaNats = await RunPathAsync("nats", postgres, keys, samples, seconds, clockTicks, async (database, root) =>
        {
            var writers = new List<(Process Process, int Port)>();
            for (var i = 0; i < 2; i++) writers.Add(await StartWriterAsync(writerDll, nats.Url, database, root, i));
            var scraper = await StartScraperAsync(root, ["--Scraper:Transport=Nats", $"--Scraper:Nats:Url={nats.Url}", "--Scraper:Nats:Site=bench", $"--Scraper:Nats:MaxInFlight={maxInFlight}"]);
            return new Parts(scraper, [.. writers.Select(w => w.Process)], nats.Pids, async () =>
            {
                var sum = 0.0;
                foreach (var (_, port) in writers) sum += await WriterMetricAsync(port, "thermalplant_writer_samples_written_total");
                return sum;
            });
        });

        var ratio = viaNats.Rate / direct.Rate;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"throughput: direct {direct.Rate:F0} samples/s, through the 3-node cluster {viaNats.Rate:F0} samples/s; ratio {ratio:F2} (goal >= 0.5: {(ratio >= 0.5 ? "met" : "NOT met")})"));
        foreach (var result in new[] { direct, viaNats })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.Name}: delay at {tags} samples/s (insert time - sample time, {result.DelayRows} rows) p50 {result.P50:F3} s, p99 {result.P99:F3} s; CPU s per million samples: scraper {result.Cpu.Scraper:F2}, NATS nodes {result.Cpu.Nats:F2}, writers {result.Cpu.Writers:F2}, PostgreSQL {result.Cpu.Postgres:F2}, total {result.Cpu.Scraper + result.Cpu.Nats + result.Cpu.Writers + result.Cpu.Postgres:F2}"));
        }
        return direct.Stored && viaNats.Stored ? 0 : 1;
    }

    private static async Task<Result> RunPathAsync(string name, PostgresCluster postgres, TagKey[] keys, int samples, int seconds, int clockTicks, Func<string, string, Task<Parts>> start)
    {
        await postgres.CreateDatabaseAsync(name, CancellationToken.None);
        var database = postgres.ConnectionString(name);
        await using var dataSource = NpgsqlDataSource.Create(database);
        await new SchemaMigrator(dataSource, new SchemaMigratorOptions { Path = StoragePathPreference.Plain }).MigrateAsync(CancellationToken.None);
        await using (var alter = dataSource.CreateCommand(AddInsertTime)) await alter.ExecuteNonQueryAsync();
        var root = Directory.CreateTempSubdirectory($"thermalplant-bench-{name}-").FullName;
        var parts = await start(database, root);
        try
        {
            var queue = parts.Scraper.Services.GetRequiredService<SampleQueue>();
            // Warm-up: the tags are made and every part has connected before the clock starts.
            var warm = DateTime.UtcNow.AddHours(-2);
            queue.Add(Update(keys, warm));
            await WaitWrittenAsync(parts, keys.Length, TimeSpan.FromMinutes(2));

            var cpu0 = CpuSeconds(parts, postgres, clockTicks);
            var (bytes0, messages0) = (NatsPublishMetrics.MessageBytes.Sum, NatsPublishMetrics.MessageBytes.Count);
            var clock = Stopwatch.StartNew();
            var from = DateTime.UtcNow.AddHours(-1);
            var updates = samples / keys.Length;
            for (var u = 0; u < updates; u++)
            {
                while (queue.Depth > MaxWaiting) await Task.Delay(1);
                queue.Add(Update(keys, from.AddMilliseconds(u)));
            }
            var total = keys.Length + ((long)updates * keys.Length);
            await WaitWrittenAsync(parts, total, TimeSpan.FromMinutes(10));
            var elapsed = clock.Elapsed.TotalSeconds;
            var cpu1 = CpuSeconds(parts, postgres, clockTicks);
            // The parts' counters say when; the rows say whether every sample is there, each once.
            var stored = await CountAsync(dataSource) == total;
            var rate = (total - keys.Length) / elapsed;
            var millions = (total - keys.Length) / 1e6;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {total - keys.Length} samples stored in {elapsed:F1} s: {rate:F0} samples/s{(stored ? "" : " (NOT all stored)")}"));
            var messages = NatsPublishMetrics.MessageBytes.Count - messages0;
            if (messages > 0)
            {
                var bytes = NatsPublishMetrics.MessageBytes.Sum - bytes0;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name}: {messages} messages, {bytes / (total - keys.Length):F1} bytes per sample, {bytes / messages:F0} bytes per message (payload; the stream adds subject, id and headers per message)"));
            }

            // Delay at the design rate: one update of every tag per second, with the sample time of its making.
            var delayFrom = DateTime.UtcNow;
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            for (var s = 0; s < seconds; s++)
            {
                await timer.WaitForNextTickAsync();
                var now = DateTime.UtcNow;
                queue.Add(Update(keys, new DateTime(now.Ticks - (now.Ticks % 10), DateTimeKind.Utc)));
            }
            await WaitWrittenAsync(parts, total + ((long)seconds * keys.Length), TimeSpan.FromMinutes(2));
            stored &= await CountAsync(dataSource) == total + ((long)seconds * keys.Length);
            await using var latency = dataSource.CreateCommand("""
                SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY d), percentile_cont(0.99) WITHIN GROUP (ORDER BY d)
                FROM (SELECT extract(epoch FROM inserted_at - time)::float8 AS d FROM sensor_values WHERE time >= @from) rows
                """);
            latency.Parameters.AddWithValue("from", delayFrom);
            await using var reader = await latency.ExecuteReaderAsync();
            await reader.ReadAsync();
            return new Result(name, rate, stored, reader.GetInt64(0), reader.GetDouble(1), reader.GetDouble(2),
                new Cpu((cpu1.Scraper - cpu0.Scraper) / millions, (cpu1.Nats - cpu0.Nats) / millions, (cpu1.Writers - cpu0.Writers) / millions, (cpu1.Postgres - cpu0.Postgres) / millions));
        }
        finally
        {
            await parts.Scraper.StopAsync();
            await parts.Scraper.DisposeAsync();
            foreach (var writer in parts.Writers)
            {
                writer.Kill(entireProcessTree: true);
                await writer.WaitForExitAsync();
                writer.Dispose();
            }
            NpgsqlConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }
    }

    private static Sample[] Update(TagKey[] keys, DateTime time)
    {
        var update = new Sample[keys.Length];
        for (var i = 0; i < keys.Length; i++) update[i] = new Sample(keys[i], time, Math.Sin(i + time.Ticks), 0);
        return update;
    }

    /// <summary>Waits until the delivering parts have committed <paramref name="samples"/> (their counters, polled every 50 ms: a count of the rows would cost PostgreSQL more than the writes).</summary>
    private static async Task WaitWrittenAsync(Parts parts, long samples, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        while (await parts.Written() < samples)
        {
            if (waited.Elapsed > timeout) throw new TimeoutException($"{samples} samples were not written within {timeout.TotalMinutes} minutes");
            await Task.Delay(50);
        }
    }

    private static async Task<long> CountAsync(NpgsqlDataSource dataSource)
    {
        await using var count = dataSource.CreateCommand("SELECT count(*) FROM sensor_values");
        return (long)(await count.ExecuteScalarAsync())!;
    }

    private static async Task<double> WriterMetricAsync(int port, string name)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
        var sum = 0.0;
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length == name.Length || line[name.Length] is not (' ' or '{')) continue;
            sum += double.Parse(line.AsSpan(line.LastIndexOf(' ') + 1), CultureInfo.InvariantCulture);
        }
        return sum;
    }

    private static async Task<WebApplication> StartScraperAsync(string root, string[] settings)
    {
        // An empty content root: no appsettings.json (its default endpoint) applies, only what is given here.
        var app = ScraperHost.Create([$"--contentRoot={root}", "--urls=http://127.0.0.1:0", "--Serilog:MinimumLevel:Default=Warning",
            $"--Scraper:Storage:DataDirectory={Path.Combine(root, "scraper")}", "--Scraper:Database:Path=Plain", .. settings]);
        await app.StartAsync();
        return app;
    }

    private static async Task<(Process Process, int Port)> StartWriterAsync(string dll, string natsUrl, string database, string root, int index)
    {
        var port = NatsNodes.FreePort();
        var directory = Directory.CreateDirectory(Path.Combine(root, $"writer{index}")).FullName;
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            dll, $"--urls=http://127.0.0.1:{port}", "--Serilog:MinimumLevel:Default=Warning", $"--Writer:Nats:Url={natsUrl}",
            "--Writer:Stream:MaxBytes=1073741824", "--Writer:Shards:0:Name=main", $"--Writer:Shards:0:ConnectionString={database}",
            "--Writer:Shards:0:Path=Plain", "--Writer:Shards:0:Sites:0=bench",
        })
        {
            info.ArgumentList.Add(argument);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("the writer did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var until = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < until)
        {
            if (process.HasExited) throw new InvalidOperationException("the writer exited at start");
            try
            {
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/health/ready"));
                if (response.IsSuccessStatusCode) return (process, port);
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200);
        }
        throw new InvalidOperationException("the writer did not get ready within 2 minutes");
    }

    private static Cpu CpuSeconds(Parts parts, PostgresCluster postgres, int clockTicks) => new(
        Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds,
        parts.NatsPids.Sum(pid => ProcessCpu.Seconds(pid, clockTicks)),
        parts.Writers.Sum(w => ProcessCpu.Seconds(w.Id, clockTicks)),
        PostgresPids(postgres).Sum(pid => TrySeconds(pid, clockTicks)));

    /// <summary>The postmaster (first line of postmaster.pid) and its children: every backend, the WAL writer, the checkpointer.</summary>
    private static IEnumerable<int> PostgresPids(PostgresCluster postgres)
    {
        var postmaster = int.Parse(File.ReadLines(Path.Combine(postgres.Root, "data", "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        yield return postmaster;
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue;
            }
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (int.Parse(fields[1], CultureInfo.InvariantCulture) == postmaster) yield return pid;
        }
    }

    /// <summary>A backend's CPU, or 0 when it ended between listing and reading (its seconds are then not counted: the figure is a lower bound for PostgreSQL).</summary>
    private static double TrySeconds(int pid, int clockTicks)
    {
        try
        {
            return ProcessCpu.Seconds(pid, clockTicks);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private sealed record Parts(WebApplication Scraper, List<Process> Writers, IReadOnlyList<int> NatsPids, Func<Task<double>> Written);

    private sealed record Cpu(double Scraper, double Nats, double Writers, double Postgres);

    private sealed record Result(string Name, double Rate, bool Stored, long DelayRows, double P50, double P99, Cpu Cpu);

    /// <summary>Three nats-server nodes with JetStream on loopback, in a temp dir, killed and deleted on dispose.</summary>
    private sealed class NatsNodes : IAsyncDisposable
    {
        private readonly List<Process> _processes = [];
        private readonly string _root = Directory.CreateTempSubdirectory("thermalplant-bench-nats-").FullName;

        public string Url { get; private set; } = "";

        public IReadOnlyList<int> Pids => [.. _processes.Select(p => p.Id)];

        public static async Task<NatsNodes> StartAsync(string program)
        {
            var nodes = new NatsNodes();
            var ports = Enumerable.Range(0, 3).Select(_ => (Client: FreePort(), Route: FreePort(), Monitor: FreePort())).ToArray();
            var routes = string.Join(", ", ports.Select(p => $"\"nats-route://127.0.0.1:{p.Route}\""));
            for (var i = 0; i < 3; i++)
            {
                var store = Directory.CreateDirectory(Path.Combine(nodes._root, $"n{i + 1}")).FullName;
                var config = Path.Combine(nodes._root, $"n{i + 1}.conf");
                await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $$"""
                    server_name: n{{i + 1}}
                    listen: "127.0.0.1:{{ports[i].Client}}"
                    http: "127.0.0.1:{{ports[i].Monitor}}"
                    jetstream { store_dir: "{{store}}", max_file_store: 4GB, max_memory_store: 64MB }
                    cluster { name: bench, listen: "127.0.0.1:{{ports[i].Route}}", routes: [{{routes}}] }
                    """));
                var info = new ProcessStartInfo(program, ["-c", config]) { RedirectStandardOutput = true, RedirectStandardError = true };
                var process = Process.Start(info) ?? throw new InvalidOperationException("nats-server did not start");
                process.OutputDataReceived += (_, _) => { };
                process.ErrorDataReceived += (_, _) => { };
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                nodes._processes.Add(process);
            }
            nodes.Url = string.Join(',', ports.Select(p => $"nats://127.0.0.1:{p.Client}"));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            foreach (var port in ports)
            {
                var until = DateTime.UtcNow.AddMinutes(1);
                while (true)
                {
                    try
                    {
                        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port.Monitor}/healthz"));
                        if (response.IsSuccessStatusCode) break;
                    }
                    catch (HttpRequestException)
                    {
                    }
                    if (DateTime.UtcNow > until) throw new InvalidOperationException("a nats-server node did not become healthy within a minute");
                    await Task.Delay(200);
                }
            }
            return nodes;
        }

        public static int FreePort()
        {
            using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            listener.Start();
            return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var process in _processes)
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }
                process.Dispose();
            }
            Directory.Delete(_root, recursive: true);
        }
    }
}
