using System.Diagnostics;
using System.Globalization;
using System.Net;
using Npgsql;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.History;
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
/// With <c>--outage N</c> the server keeps history, and in the middle of the window the scraper is killed (SIGKILL)
/// for N seconds and started again: its start-up back-fill must then read the missed values of every variable from
/// the server's history (<c>--history-nodes-per-call</c> sets its nodes per HistoryRead, 1 being one request per
/// variable); the driver prints when the backlog was back to one update and how many values were back-filled.
/// Usage: <c>e2e --scraper PATH/ThermalPlant.Scraper.dll [--variables 10000] [--seconds 300] [--warmup 30]
/// [--probe-every 10] [--drain 120] [--outage 0] [--history-nodes-per-call N] [--clock-ticks 100]</c>.
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
        var outage = DriverArgs.Int(args, "--outage", 0);
        var historyNodes = DriverArgs.Value(args, "--history-nodes-per-call");
        var scraperDll = DriverArgs.Value(args, "--scraper");
        if (scraperDll is null || !File.Exists(scraperDll) || count < 1 || seconds < 1 || warmup < 0 || probeEvery < 1 || outage < 0 || outage >= seconds)
        {
            await Console.Error.WriteLineAsync("usage: e2e --scraper PATH/ThermalPlant.Scraper.dll [--variables N] [--seconds N] [--warmup N] [--probe-every N] [--drain N] [--outage N < seconds] [--history-nodes-per-call N] [--clock-ticks N]");
            return 2;
        }
        string[] scraperSettings = historyNodes is null ? [] : [$"--Scraper:OpcUa:Endpoints:0:HistoryNodesPerCall={historyNodes}"];
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

        // History only when an outage must be back-filled from it: enough for the outage and a margin, no more.
        var history = outage > 0 ? new MemoryHistoryStore(outage + 120, TimeSpan.FromHours(1)) : null;
        await using var server = new OpcUaServer(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1" }, history: history);
        var producer = new ValueProducer(OpcUaServeDriver.AddTree(server.AddressSpace, count, historizing: outage > 0));
        server.Start();
        var production = producer.RunAsync(cancellationToken);

        var endpoint = $"opc.tcp://127.0.0.1:{server.Port}/freeopcua/server/";
        var scraper = ScraperProcess.Start(scraperDll, cluster.Root, connectionString, endpoint, scraperSettings);
        try
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"e2e: {count} variables renewed at 1 Hz by our OPC UA server, the scraper host (pid {scraper.Pid}, defaults: subscription, 1 s publishing, batches of 10,000 or 0.5 s) into PostgreSQL 15 ({SchemaMigrator.PathName(path)} path, fsync and synchronous_commit on), {Environment.ProcessorCount} cores, load average {LoadAverage()}"));

            var firstRow = await WaitForFirstRowAsync(dataSource, scraper, TimeSpan.FromSeconds(Math.Max(120, warmup * 4)), cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"first row stored {firstRow.TotalSeconds:F1} s after the scraper started; warming up {warmup} s"));
            await Task.Delay(TimeSpan.FromSeconds(warmup), cancellationToken);

            var start = await producer.NextUpdateAsync(cancellationToken);
            var end = start.AddSeconds(seconds);
            var counter = new StoredCounter(dataSource, start, end, count);
            var cpuStart = ProcessCpu.Seconds(scraper.Pid, clockTicks);
            var cpu = 0.0;
            var clock = Stopwatch.StartNew();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"measuring {seconds} s from {start:O}"));
            Console.WriteLine("  elapsed s   produced     stored    backlog   scraper queue   back-filled");
            var trend = new List<(double Seconds, long Backlog)>();
            var stored = 0L;
            // The outage, if any, sits in the middle of the window, so that the recovery is measured inside it too.
            var killAt = outage > 0 ? TimeSpan.FromSeconds((seconds - outage) / 2.0) : TimeSpan.MaxValue;
            var restartAt = killAt + TimeSpan.FromSeconds(outage);
            var down = false;
            TimeSpan? restarted = null;
            TimeSpan? recovered = null;
            var lastFilled = 0.0;
            TimeSpan? filledBy = null;
            var nextProbe = TimeSpan.FromSeconds(probeEvery);
            var window = TimeSpan.FromSeconds(seconds);
            while (clock.Elapsed < window)
            {
                var next = Earliest(Earliest(nextProbe, window), down ? restartAt : killAt);
                if (next > clock.Elapsed) await Task.Delay(next - clock.Elapsed, cancellationToken);
                if (!down && restarted is null && clock.Elapsed >= killAt)
                {
                    cpu += ProcessCpu.Seconds(scraper.Pid, clockTicks) - cpuStart;
                    await scraper.DisposeAsync();
                    down = true;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {clock.Elapsed.TotalSeconds,9:F0} scraper killed (SIGKILL) for {outage} s"));
                    continue;
                }
                if (down && clock.Elapsed >= restartAt)
                {
                    scraper = ScraperProcess.Start(scraperDll, cluster.Root, connectionString, endpoint, scraperSettings);
                    cpuStart = ProcessCpu.Seconds(scraper.Pid, clockTicks);
                    down = false;
                    restarted = clock.Elapsed;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {clock.Elapsed.TotalSeconds,9:F0} scraper started again (pid {scraper.Pid})"));
                    continue;
                }
                if (clock.Elapsed < nextProbe && clock.Elapsed < window) continue;
                nextProbe += TimeSpan.FromSeconds(probeEvery);
                var produced = producer.UpdatesBetween(start, end) * (long)count;
                stored = await counter.StoredAsync(cancellationToken);
                var backlog = produced - stored;
                trend.Add((clock.Elapsed.TotalSeconds, backlog));
                if (restarted is not null && recovered is null && backlog <= count) recovered = clock.Elapsed;
                var queue = down ? -1 : await scraper.QueueDepthAsync(cancellationToken);
                // Counted by the running scraper process since its start.
                var filled = down ? -1 : await scraper.MetricAsync("thermalplant_scraper_backfilled_values_total", cancellationToken);
                if (restarted is not null && filled > lastFilled)
                {
                    lastFilled = filled;
                    filledBy = clock.Elapsed;
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {clock.Elapsed.TotalSeconds,9:F0} {produced,10} {stored,10} {backlog,10} {queue,15} {filled,13:F0}"));
            }
            cpu += ProcessCpu.Seconds(scraper.Pid, clockTicks) - cpuStart;
            var backfilled = await scraper.MetricAsync("thermalplant_scraper_backfilled_values_total", cancellationToken);
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
            if (restarted is { } back)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"outage: scraper down {outage} s; after its restart {backfilled:F0} values were back-filled from history by the new process, all of them by the probe {(filledBy is { } f ? $"{(f - back).TotalSeconds:F0}" : "-")} s after the restart, and the backlog was back to at most one update (<= {count}) {(recovered is { } r ? $"{(r - back).TotalSeconds:F0} s after it" : "NEVER within the window")} (probes every {probeEvery} s)"));
            }
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
        finally
        {
            await scraper.DisposeAsync();
        }
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

    private static TimeSpan Earliest(TimeSpan a, TimeSpan b) => a < b ? a : b;

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
        private bool _disposed;
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

        public static ScraperProcess Start(string dll, string directory, string connectionString, string endpoint, IEnumerable<string> settings)
        {
            var port = FreePort();
            var info = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(dll))!,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            string[] arguments =
            [
                Path.GetFullPath(dll),
                $"--urls=http://127.0.0.1:{port}",
                $"--Scraper:Database:ConnectionString={connectionString}",
                $"--Scraper:Storage:DataDirectory={Path.Combine(directory, "scraper-data")}",
                $"--Scraper:OpcUa:Endpoints:0:Url={endpoint}",
                "--Serilog:MinimumLevel:Default=Warning",
                .. settings,
            ];
            foreach (var argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }
            var process = Process.Start(info) ?? throw new InvalidOperationException("the scraper did not start");
            var logPath = Path.Combine(directory, "scraper.log");
            // A restarted scraper appends to the log of the one before it.
            var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
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
        public async Task<long> QueueDepthAsync(CancellationToken cancellationToken) =>
            (long)await MetricAsync("thermalplant_scraper_queue_depth", cancellationToken);

        /// <summary>The sum of a metric's series (every label set) from /metrics, or -1 when it cannot be read.</summary>
        public async Task<double> MetricAsync(string name, CancellationToken cancellationToken)
        {
            try
            {
                var text = await _http.GetStringAsync(new Uri(_metrics), cancellationToken);
                var sum = 0.0;
                foreach (var line in text.Split('\n'))
                {
                    if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length == name.Length || line[name.Length] is not (' ' or '{')) continue;
                    sum += double.Parse(line.AsSpan(line.LastIndexOf(' ') + 1), CultureInfo.InvariantCulture);
                }
                return sum;
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
                using var file = new FileStream(_logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                using var reader = new StreamReader(file);
                var lines = reader.ReadToEnd().Split('\n');
                return string.Join(Environment.NewLine, lines.Skip(Math.Max(0, lines.Length - 40)));
            }
        }

        /// <summary>Kills the scraper (SIGKILL, as a crash) if it runs; a second call does nothing.</summary>
        public async ValueTask DisposeAsync()
        {
            if (_disposed) return;
            _disposed = true;
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            _process.Dispose();
            _http.Dispose();
            lock (_sync) _log.Dispose();
        }

        private static int FreePort()
        {
            using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
