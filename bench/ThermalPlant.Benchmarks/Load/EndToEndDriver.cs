using System.Diagnostics;
using System.Globalization;
using System.Net;
using Npgsql;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Storage.Schema;

namespace ThermalPlant.Benchmarks.Load;

/// <summary>
/// End to end (issue 6): <c>--variables</c> Double variables renewed once a second by our OPC UA server (in this
/// process), collected by the published scraper host (its own process, its shipped defaults: subscription at 1 s
/// publishing, batches of 10,000 or 0.5 s) into a throwaway PostgreSQL 15 cluster with durability at its defaults.
/// After <c>--warmup</c> seconds of collection, a window of <c>--seconds</c> is measured: every value the server
/// produced in the window (exact: updates x variables) against the rows stored for the window (exact count), the
/// backlog (produced minus stored) every <c>--probe-every</c> seconds and its trend, and the sample-to-row latency
/// of every row of the window: the row's insert time minus its SourceTimestamp. The insert time is a column the
/// benchmark adds to its own copy of the schema, <c>inserted_at timestamptz DEFAULT clock_timestamp()</c>, which
/// PostgreSQL fills per row as the COPY reaches it (the writer's COPY names its four columns, so the column costs
/// no work on the scraper's side). Fails when the rows do not match the values produced after the drain.
/// Usage: <c>e2e --scraper PATH/ThermalPlant.Scraper.dll [--variables 10000] [--seconds 300] [--warmup 30]
/// [--probe-every 10] [--drain 120] [--clock-ticks 100]</c>.
/// </summary>
internal static class EndToEndDriver
{
    private const string Database = "thermalplant";
    private const double GoalP99Seconds = 2.0;

    // A column only the benchmark's schema has: the time PostgreSQL stored each row, per row, not per statement.
    private const string AddInsertTime = "ALTER TABLE sensor_values ADD COLUMN inserted_at timestamptz NOT NULL DEFAULT clock_timestamp()";

    private const string StoredPerUpdate = """
        SELECT time, count(*) FROM sensor_values WHERE time >= @from AND time < @to GROUP BY time
        """;

    private const string RowLatency = """
        SELECT count(*),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY d),
               percentile_cont(0.99) WITHIN GROUP (ORDER BY d),
               percentile_cont(0.999) WITHIN GROUP (ORDER BY d),
               max(d),
               count(*) FILTER (WHERE d > @goal)
        FROM (SELECT extract(epoch FROM inserted_at - time)::float8 AS d FROM sensor_values WHERE time >= @from AND time < @to) rows
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var count = DriverArgs.Int(args, "--variables", 10_000);
        var seconds = DriverArgs.Int(args, "--seconds", 300);
        var warmup = DriverArgs.Int(args, "--warmup", 30);
        var probeEvery = DriverArgs.Int(args, "--probe-every", 10);
        var drain = DriverArgs.Int(args, "--drain", 120);
        var clockTicks = DriverArgs.Int(args, "--clock-ticks", 100);
        var scraperDll = DriverArgs.Value(args, "--scraper");
        if (scraperDll is null || !File.Exists(scraperDll) || count < 1 || seconds < 1 || warmup < 0 || probeEvery < 1)
        {
            await Console.Error.WriteLineAsync("usage: e2e --scraper PATH/ThermalPlant.Scraper.dll [--variables N] [--seconds N] [--warmup N] [--probe-every N] [--drain N] [--clock-ticks N]");
            return 2;
        }
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        var cancellationToken = cancel.Token;

        await using var cluster = await PostgresCluster.StartAsync(cancellationToken);
        await cluster.CreateDatabaseAsync(Database, cancellationToken);
        var connectionString = cluster.ConnectionString(Database);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        // Migrated here first so the insert-time column exists before the scraper stores a row; its own migration
        // then finds nothing to do.
        var path = (await new SchemaMigrator(dataSource).MigrateAsync(cancellationToken)).Path;
        await using (var alter = dataSource.CreateCommand(AddInsertTime)) await alter.ExecuteNonQueryAsync(cancellationToken);

        await using var server = new OpcUaServer(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1" });
        var producer = new ValueProducer(OpcUaServeDriver.AddTree(server.AddressSpace, count));
        server.Start();
        var production = producer.RunAsync(cancellationToken);

        await using var scraper = ScraperProcess.Start(scraperDll, cluster.Root, connectionString, $"opc.tcp://127.0.0.1:{server.Port}/freeopcua/server/");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"e2e: {count} variables renewed at 1 Hz by our OPC UA server, the scraper host (pid {scraper.Pid}, defaults: subscription, 1 s publishing, batches of 10,000 or 0.5 s) into PostgreSQL 15 ({SchemaMigrator.PathName(path)} path, fsync and synchronous_commit on), {Environment.ProcessorCount} cores, load average {LoadAverage()}"));

        var firstRow = await WaitForFirstRowAsync(dataSource, scraper, TimeSpan.FromSeconds(Math.Max(120, warmup * 4)), cancellationToken);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"first row stored {firstRow.TotalSeconds:F1} s after the scraper started; warming up {warmup} s"));
        await Task.Delay(TimeSpan.FromSeconds(warmup), cancellationToken);

        var start = await producer.NextUpdateAsync(cancellationToken);
        var end = start.AddSeconds(seconds);
        var counter = new StoredCounter(dataSource, start, end, count);
        var cpuStart = ProcessCpu.Seconds(scraper.Pid, clockTicks);
        var clock = Stopwatch.StartNew();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"measuring {seconds} s from {start:O}"));
        Console.WriteLine("  elapsed s   produced     stored    backlog   scraper queue");
        var trend = new List<(double Seconds, long Backlog)>();
        var stored = 0L;
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            var left = TimeSpan.FromSeconds(seconds) - clock.Elapsed;
            await Task.Delay(left < TimeSpan.FromSeconds(probeEvery) ? left : TimeSpan.FromSeconds(probeEvery), cancellationToken);
            var produced = producer.UpdatesBetween(start, end) * (long)count;
            stored = await counter.StoredAsync(cancellationToken);
            var backlog = produced - stored;
            trend.Add((clock.Elapsed.TotalSeconds, backlog));
            var queue = await scraper.QueueDepthAsync(cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {clock.Elapsed.TotalSeconds,9:F0} {produced,10} {stored,10} {backlog,10} {queue,15}"));
        }
        var cpu = ProcessCpu.Seconds(scraper.Pid, clockTicks) - cpuStart;
        var measured = clock.Elapsed.TotalSeconds;

        // Values of the window still on their way are stored within the drain; the server goes on producing, as a
        // plant would, but later values are outside the window.
        var total = producer.UpdatesBetween(start, end) * (long)count;
        var drained = Stopwatch.StartNew();
        var rows = stored;
        while (rows < total && drained.Elapsed < TimeSpan.FromSeconds(drain))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            rows = await counter.StoredAsync(cancellationToken);
        }

        await using var latency = dataSource.CreateCommand(RowLatency);
        latency.Parameters.AddWithValue("from", start);
        latency.Parameters.AddWithValue("to", end);
        latency.Parameters.AddWithValue("goal", GoalP99Seconds);
        latency.CommandTimeout = 600;
        await using var reader = await latency.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var latencyRows = reader.GetInt64(0);
        var p50 = reader.IsDBNull(1) ? double.NaN : reader.GetDouble(1);
        var p99 = reader.IsDBNull(2) ? double.NaN : reader.GetDouble(2);
        var p999 = reader.IsDBNull(3) ? double.NaN : reader.GetDouble(3);
        var max = reader.IsDBNull(4) ? double.NaN : reader.GetDouble(4);
        var late = reader.GetInt64(5);

        await cancel.CancelAsync();
        await production;

        var slope = Slope(trend);
        var growing = slope > 0.01 * count;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"values produced: {total} ({total / count} updates of {count} variables); rows stored: {rows} ({(rows == total ? "all" : $"{total - rows} missing")}; {(stored == total ? "all stored by the window's last probe" : $"drained {drained.Elapsed.TotalSeconds:F1} s after the window")})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"backlog trend: {slope:F1} values/s over the window ({(growing ? "GROWING" : "not growing")}; threshold 1 % of the production rate, {0.01 * count:F0} values/s); largest backlog {MaxBacklog(trend)}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sample-to-row latency (insert time - SourceTimestamp, {latencyRows} rows): p50 {p50:F3} s, p99 {p99:F3} s, p99.9 {p999:F3} s, max {max:F3} s; {late} rows over {GoalP99Seconds} s; p99 / goal {p99 / GoalP99Seconds:F2} (goal p99 <= {GoalP99Seconds} s: {(p99 <= GoalP99Seconds ? "met" : "NOT met")})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"scraper CPU: {cpu:F1} s in {measured:F0} s, {100 * cpu / measured:F1} % of one core; load average at the end {LoadAverage()}"));
        if (rows != total)
        {
            await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"e2e: {total - rows} values of the window were not stored within {drain} s; scraper log tail:"));
            await Console.Error.WriteLineAsync(scraper.LogTail());
            return 1;
        }
        return 0;
    }

    private static async Task<TimeSpan> WaitForFirstRowAsync(NpgsqlDataSource dataSource, ScraperProcess scraper, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        await using var command = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM sensor_values)");
        while (!(bool)(await command.ExecuteScalarAsync(cancellationToken))!)
        {
            if (scraper.HasExited || waited.Elapsed > deadline)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"the scraper stored no row within {waited.Elapsed.TotalSeconds:F0} s (exited: {scraper.HasExited}); log tail:{Environment.NewLine}{scraper.LogTail()}"));
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
        return waited.Elapsed;
    }

    /// <summary>Least-squares slope of the backlog over time, values per second.</summary>
    private static double Slope(List<(double Seconds, long Backlog)> points)
    {
        if (points.Count < 2) return 0;
        var meanX = points.Average(p => p.Seconds);
        var meanY = points.Average(p => (double)p.Backlog);
        var sxx = points.Sum(p => (p.Seconds - meanX) * (p.Seconds - meanX));
        var sxy = points.Sum(p => (p.Seconds - meanX) * (p.Backlog - meanY));
        return sxx == 0 ? 0 : sxy / sxx;
    }

    private static long MaxBacklog(List<(double Seconds, long Backlog)> points) => points.Count == 0 ? 0 : points.Max(p => p.Backlog);

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    /// <summary>Renews every variable once a second with one SourceTimestamp per update, and remembers each update's time.</summary>
    private sealed class ValueProducer(UaVariable[] variables)
    {
        private readonly Lock _lock = new();
        private readonly List<DateTime> _updates = [];
        private TaskCompletionSource<DateTime> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            var tick = 0L;
            try
            {
                do
                {
                    // PostgreSQL keeps microseconds: the update's time is cut to them so rows match it exactly.
                    var now = DateTime.UtcNow;
                    now = new DateTime(now.Ticks - (now.Ticks % 10), DateTimeKind.Utc);
                    for (var i = 0; i < variables.Length; i++)
                    {
                        variables[i].SetValue(new DataValue { Value = Variant.From(BenchTree.Value(i, tick)), SourceTimestamp = now, ServerTimestamp = now });
                    }
                    tick++;
                    TaskCompletionSource<DateTime> next;
                    lock (_lock)
                    {
                        _updates.Add(now);
                        next = _next;
                        _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
                    }
                    next.TrySetResult(now);
                }
                while (await timer.WaitForNextTickAsync(cancellationToken));
            }
            catch (OperationCanceledException)
            {
            }
        }

        /// <summary>The time of the next update, once it is made.</summary>
        public Task<DateTime> NextUpdateAsync(CancellationToken cancellationToken)
        {
            lock (_lock) return _next.Task.WaitAsync(cancellationToken);
        }

        /// <summary>Updates made at or after <paramref name="from"/> and before <paramref name="to"/>.</summary>
        public long UpdatesBetween(DateTime from, DateTime to)
        {
            lock (_lock) return _updates.Count(u => u >= from && u < to);
        }
    }

    /// <summary>
    /// Rows stored for the window, counted exactly but cheaply: updates whose every value is stored are not counted
    /// again, so each probe reads only the rows of the updates still incomplete (the newest few while nothing lags).
    /// </summary>
    private sealed class StoredCounter(NpgsqlDataSource dataSource, DateTime start, DateTime end, int variables)
    {
        private readonly SortedDictionary<DateTime, long> _incomplete = [];
        private DateTime _completeBefore = start;
        private long _complete;

        public async Task<long> StoredAsync(CancellationToken cancellationToken)
        {
            await using var command = dataSource.CreateCommand(StoredPerUpdate);
            command.Parameters.AddWithValue("from", _completeBefore);
            command.Parameters.AddWithValue("to", end);
            _incomplete.Clear();
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken)) _incomplete[DateTime.SpecifyKind(reader.GetDateTime(0), DateTimeKind.Utc)] = reader.GetInt64(1);
            }
            // Updates are complete in time order once the oldest incomplete one is; a later gap keeps the bound there.
            foreach (var (time, stored) in _incomplete.ToList())
            {
                if (stored < variables) break;
                _complete += stored;
                _incomplete.Remove(time);
                _completeBefore = time.AddTicks(10);
            }
            return _complete + _incomplete.Values.Sum();
        }
    }

    /// <summary>The published scraper host in its own process, with its log in a file and its /metrics on a free port.</summary>
    private sealed class ScraperProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly string _logPath;
        private readonly StreamWriter _log;
        private readonly Lock _sync;
        private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
        private readonly string _metrics;

        private ScraperProcess(Process process, string logPath, StreamWriter log, Lock sync, string metrics)
        {
            _process = process;
            _logPath = logPath;
            _log = log;
            _sync = sync;
            _metrics = metrics;
        }

        public int Pid => _process.Id;

        public bool HasExited => _process.HasExited;

        public static ScraperProcess Start(string dll, string directory, string connectionString, string endpoint)
        {
            var port = FreePort();
            var info = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(dll))!,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var argument in new[]
            {
                Path.GetFullPath(dll),
                $"--urls=http://127.0.0.1:{port}",
                $"--Scraper:Database:ConnectionString={connectionString}",
                $"--Scraper:Storage:DataDirectory={Path.Combine(directory, "scraper-data")}",
                $"--Scraper:OpcUa:Endpoints:0:Url={endpoint}",
                "--Serilog:MinimumLevel:Default=Warning",
            })
            {
                info.ArgumentList.Add(argument);
            }
            var process = Process.Start(info) ?? throw new InvalidOperationException("the scraper did not start");
            var logPath = Path.Combine(directory, "scraper.log");
            var log = new StreamWriter(logPath) { AutoFlush = true };
            var sync = new Lock();
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                lock (sync) log.WriteLine(e.Data);
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                lock (sync) log.WriteLine(e.Data);
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return new ScraperProcess(process, logPath, log, sync, string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/metrics"));
        }

        /// <summary>thermalplant_scraper_queue_depth from /metrics, or -1 when it cannot be read.</summary>
        public async Task<long> QueueDepthAsync(CancellationToken cancellationToken)
        {
            try
            {
                var text = await _http.GetStringAsync(new Uri(_metrics), cancellationToken);
                foreach (var line in text.Split('\n'))
                {
                    if (line.StartsWith("thermalplant_scraper_queue_depth ", StringComparison.Ordinal))
                    {
                        return (long)double.Parse(line.AsSpan("thermalplant_scraper_queue_depth ".Length), CultureInfo.InvariantCulture);
                    }
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            return -1;
        }

        public string LogTail()
        {
            lock (_sync)
            {
                var lines = File.ReadAllLines(_logPath);
                return string.Join(Environment.NewLine, lines.Skip(Math.Max(0, lines.Length - 40)));
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            _process.Dispose();
            _http.Dispose();
            await _log.DisposeAsync();
        }

        private static int FreePort()
        {
            using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
