using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using ThermalPlant.Storage.Schema;
using ThermalPlant.Storage.Writing;

namespace ThermalPlant.Benchmarks.Load;

/// <summary>
/// Ingest against psql's COPY, one run: starts a throwaway PostgreSQL 15 cluster (durability at its defaults),
/// migrates the schema, makes <c>--rows</c> rows of <c>--tags</c> tags at 1 Hz ending now, then per round loads
/// them twice into the empty <c>sensor_values</c>: first with psql's <c>\copy</c> from a CSV file (the anchor),
/// then with <see cref="SampleWriter"/> in batches of <c>--batch</c> samples, truncating and checkpointing before
/// each so that neither inherits the other's dirty pages. A first unmeasured pass of the writer (20 batches) warms
/// the JIT and the server. Prints rows/s of both and their ratio (goal >= 0.8).
/// With <c>--replay</c> the writer then writes every batch a second time, which measures the idempotent path.
/// <c>--write-buffer BYTES</c> sets the writer's Npgsql write buffer (default 8 KB). <c>--path TimescaleDb</c> runs the
/// same into the hypertable of a cluster that preloads TimescaleDB, then compresses every chunk and prints the storage
/// per million rows before and after (goal: at least 10 x smaller); <c>--path Plain</c> (the default) the plain table.
/// Usage: <c>ingest [--rows 3000000] [--tags 1000] [--batch N] [--rounds 1] [--replay] [--write-buffer BYTES] [--path Plain|TimescaleDb]</c>.
/// </summary>
internal static class IngestDriver
{
    private const string Endpoint = "opc.tcp://bench.invalid:4840/";
    private const string Database = "ingest";

    private sealed record Round(double AnchorRowsPerSecond, double OursRowsPerSecond);

    public static async Task<int> RunAsync(string[] args)
    {
        var rows = DriverArgs.Int(args, "--rows", 3_000_000);
        var tagCount = DriverArgs.Int(args, "--tags", 1000);
        var batch = DriverArgs.Int(args, "--batch", SampleWriter.RecommendedBatchSize);
        var rounds = DriverArgs.Int(args, "--rounds", 1);
        var replay = args.Contains("--replay");
        var pathName = DriverArgs.Value(args, "--path") ?? "Plain";
        if (rows < tagCount || tagCount < 1 || batch < 1 || rounds < 1 || !Enum.TryParse<StoragePathPreference>(pathName, out var preference) || preference == StoragePathPreference.Auto)
        {
            await Console.Error.WriteLineAsync("usage: ingest [--rows N >= tags] [--tags N] [--batch N] [--rounds N] [--replay] [--write-buffer BYTES] [--path Plain|TimescaleDb]");
            return 2;
        }
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        var cancellationToken = cancel.Token;
        var time = TimeProvider.System;

        await using var cluster = await PostgresCluster.StartAsync(cancellationToken, timescaleDb: preference == StoragePathPreference.TimescaleDb);
        await cluster.CreateDatabaseAsync(Database, cancellationToken);
        var connection = new NpgsqlConnectionStringBuilder(cluster.ConnectionString(Database));
        if (DriverArgs.Value(args, "--write-buffer") is not null) connection.WriteBufferSize = DriverArgs.Int(args, "--write-buffer", 0);
        await using var dataSource = NpgsqlDataSource.Create(connection.ConnectionString);
        var path = (await new SchemaMigrator(dataSource, new SchemaMigratorOptions { Path = preference }).MigrateAsync(cancellationToken)).Path;

        // The tags exist before either side starts: a scraper resolves them once, and psql's rows carry their ids.
        var tags = Enumerable.Range(0, tagCount)
            .Select(i => new TagKey(Endpoint, string.Create(CultureInfo.InvariantCulture, $"ns=2;s=Plant.Bench.Var_{i:D4}"), "bench", string.Create(CultureInfo.InvariantCulture, $"var_{i:D4}")))
            .ToArray();
        var resolver = new TagResolver(dataSource);
        var ids = new int[tagCount];
        await resolver.ResolveAsync(tags.Select(t => new Sample(t, default, 0, 0)).ToArray(), ids, cancellationToken);

        var end = DateTime.UnixEpoch.AddSeconds(Math.Floor((time.GetUtcNow().UtcDateTime - DateTime.UnixEpoch).TotalSeconds));
        var samples = MakeSamples(rows, tags, end);
        if (path == StoragePath.Plain) await CreatePartitionsAsync(dataSource, samples[0].Timestamp, samples[^1].Timestamp, cancellationToken);
        var csv = Path.Combine(cluster.Root, "rows.csv");
        await WriteCsvAsync(csv, samples, ids, tagCount, cancellationToken);
        await using (var settings = dataSource.CreateCommand(
            "SELECT format('PostgreSQL %s, fsync %s, synchronous_commit %s', current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit'))"))
        {
            var server = (string)(await settings.ExecuteScalarAsync(cancellationToken))!;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ingest: {rows} rows of {tagCount} tags at 1 Hz into sensor_values ({SchemaMigrator.PathName(path)} path), {server}, {Environment.ProcessorCount} cores"));
        }

        // A scraper runs for days, so the figure is the writer's steady state: a first pass lets the JIT compile the
        // hot path at its final tier (and warms the server's caches for both sides) before anything is measured.
        var warmup = Math.Min(rows, 20 * batch);
        var warmupWriter = new SampleWriter(dataSource, path, resolver, time);
        for (var offset = 0; offset < warmup; offset += batch)
        {
            await warmupWriter.WriteAsync(samples.AsMemory(offset, Math.Min(batch, warmup - offset)), cancellationToken);
        }

        var results = new List<Round>();
        for (var round = 1; round <= rounds; round++)
        {
            await ResetAsync(dataSource, cancellationToken);
            var anchorSeconds = await CopyWithPsqlAsync(cluster, csv, time, cancellationToken);
            var anchorRows = await FingerprintAsync(dataSource, cancellationToken);

            await ResetAsync(dataSource, cancellationToken);
            var writer = new SampleWriter(dataSource, path, resolver, time);
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var started = time.GetTimestamp();
            for (var offset = 0; offset < rows; offset += batch)
            {
                await writer.WriteAsync(samples.AsMemory(offset, Math.Min(batch, rows - offset)), cancellationToken);
            }
            var oursSeconds = time.GetElapsedTime(started).TotalSeconds;
            var clientCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            var oursRows = await FingerprintAsync(dataSource, cancellationToken);
            if (anchorRows != oursRows || !anchorRows.StartsWith(rows.ToString(CultureInfo.InvariantCulture) + ",", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The two loads differ: psql stored ({anchorRows}), SampleWriter ({oursRows}); {rows} rows expected.");
            }

            var result = new Round(rows / anchorSeconds, rows / oursSeconds);
            results.Add(result);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ingest round {round}: psql \\copy (anchor) {rows} rows in {anchorSeconds:F2} s = {result.AnchorRowsPerSecond:N0} rows/s; " +
                $"SampleWriter (batches of {batch}) {oursSeconds:F2} s = {result.OursRowsPerSecond:N0} rows/s, client CPU {clientCpu:F2} s, {allocated / (double)rows:F1} B allocated per row; " +
                $"ratio {result.OursRowsPerSecond / result.AnchorRowsPerSecond:F2}"));

            if (replay)
            {
                // The same batches again, as after an outage: each COPY hits a stored row at once and the batch goes
                // through the staging table and ON CONFLICT DO NOTHING, storing nothing.
                started = time.GetTimestamp();
                long inserted = 0;
                for (var offset = 0; offset < rows; offset += batch)
                {
                    inserted += (await writer.WriteAsync(samples.AsMemory(offset, Math.Min(batch, rows - offset)), cancellationToken)).Inserted;
                }
                var replaySeconds = time.GetElapsedTime(started).TotalSeconds;
                if (inserted != 0 || await FingerprintAsync(dataSource, cancellationToken) != oursRows)
                {
                    throw new InvalidOperationException($"The replay changed the table ({inserted} rows inserted).");
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"ingest round {round}: replay of the same rows (idempotent path) {replaySeconds:F2} s = {rows / replaySeconds:N0} rows/s, {rows / replaySeconds / result.AnchorRowsPerSecond:F2} of psql's rate, 0 rows stored twice"));
            }
        }

        if (path == StoragePath.TimescaleDb) await ReportCompressionAsync(dataSource, rows, cancellationToken);

        var anchor = Median(results.Select(r => r.AnchorRowsPerSecond));
        var ours = Median(results.Select(r => r.OursRowsPerSecond));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ingest: SampleWriter {ours:N0} rows/s; psql \\copy {anchor:N0} rows/s; ratio {ours / anchor:F2} (goal >= 0.8){(rounds > 1 ? $", medians of {rounds} rounds" : "")}"));
        return 0;
    }

    private static Sample[] MakeSamples(int rows, TagKey[] tags, DateTime end)
    {
        // Time-major, every tag once per second, as a scraper's subscriptions deliver them.
        var random = new Random(42);
        var seconds = (rows + tags.Length - 1) / tags.Length;
        var first = end.AddSeconds(-(seconds - 1));
        var samples = new Sample[rows];
        for (var i = 0; i < rows; i++)
        {
            samples[i] = new Sample(tags[i % tags.Length], first.AddSeconds(i / tags.Length), Math.Round(100 + (random.NextDouble() * 50), 3), 0);
        }
        return samples;
    }

    private static async Task WriteCsvAsync(string file, Sample[] samples, int[] ids, int tagCount, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(file, false, new UTF8Encoding(false), 1 << 20);
        for (var i = 0; i < samples.Length; i++)
        {
            var sample = samples[i];
            // The shortest round-trip text of the double, so that psql stores bit for bit what the writer stores.
            await writer.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{sample.Timestamp:yyyy-MM-dd HH:mm:ss.ffffff}+00,{ids[i % tagCount]},{sample.Value:R},{unchecked((int)sample.StatusCode)}").AsMemory(), cancellationToken);
        }
    }

    private static async Task<double> CopyWithPsqlAsync(PostgresCluster cluster, string csv, TimeProvider time, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var (exit, output) = await PostgresCluster.RunAsync(Path.Combine(cluster.Binaries, "psql"),
        [
            "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", cluster.Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-d", Database,
            "-c", $"\\copy sensor_values (time, tag_id, value, status) FROM '{csv}' WITH (FORMAT csv)",
        ], cancellationToken);
        var seconds = time.GetElapsedTime(started).TotalSeconds;
        if (exit != 0) throw new InvalidOperationException($"psql \\copy failed ({exit}): {output}");
        return seconds;
    }

    private static async Task CreatePartitionsAsync(NpgsqlDataSource dataSource, DateTime first, DateTime last, CancellationToken cancellationToken)
    {
        // Made before both sides, so that neither pays for the days' CREATE TABLE inside its measurement.
        await using var command = dataSource.CreateCommand("SELECT create_sensor_values_partitions($1, $2)");
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { NpgsqlDbType = NpgsqlDbType.Date, TypedValue = DateOnly.FromDateTime(first) });
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { NpgsqlDbType = NpgsqlDbType.Date, TypedValue = DateOnly.FromDateTime(last) });
        await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>Compresses every chunk of what the writer stored (as the compression policy would after a day) and prints the storage before and after.</summary>
    private static async Task ReportCompressionAsync(NpgsqlDataSource dataSource, int rows, CancellationToken cancellationToken)
    {
        await using (var vacuum = dataSource.CreateCommand("VACUUM ANALYZE sensor_values"))
        {
            await vacuum.ExecuteNonQueryAsync(cancellationToken);
        }
        var before = await ScalarAsync<long>(dataSource, "SELECT hypertable_size('sensor_values')", cancellationToken);
        var fingerprint = await FingerprintAsync(dataSource, cancellationToken);
        var chunks = await ScalarAsync<long>(dataSource, "SELECT count(compress_chunk(c)) FROM show_chunks('sensor_values') c", cancellationToken);
        var after = await ScalarAsync<long>(dataSource, "SELECT hypertable_size('sensor_values')", cancellationToken);
        if (await FingerprintAsync(dataSource, cancellationToken) != fingerprint)
        {
            throw new InvalidOperationException("The compressed chunks do not read back the rows stored.");
        }
        var perMillion = 1e6 / rows / (1024.0 * 1024.0);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ingest: storage per million rows {before * perMillion:F1} MB uncompressed, {after * perMillion:F1} MB after compressing {chunks} chunks (segment by tag): {before / (double)after:F1} x smaller (goal >= 10), reads back the same rows"));
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task ResetAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var truncate = dataSource.CreateCommand("TRUNCATE sensor_values");
        await truncate.ExecuteNonQueryAsync(cancellationToken);
        await using var checkpoint = dataSource.CreateCommand("CHECKPOINT");
        await checkpoint.ExecuteNonQueryAsync(cancellationToken);
    }

    // Exact sums (a double as its shortest round-trip text, then numeric), so that both loads must have stored the
    // same rows, not just as many.
    private static async Task<string> FingerprintAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT concat_ws(',', count(*), sum(tag_id::bigint), sum(value::text::numeric), sum(status::bigint), sum(extract(epoch FROM time)), min(time), max(time)) FROM sensor_values");
        return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
