using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
using ThermalPlant.Scraper.Supervision;
using ThermalPlant.Storage.Maintenance;
using ThermalPlant.Storage.Schema;
using ThermalPlant.Storage.Writing;

namespace ThermalPlant.Scraper.Delivery;

/// <summary>
/// The database side: migrates the schema (retrying until the database answers), runs the partition and rollup
/// maintainers, and writes the queue's batches in order with the idempotent <see cref="SampleWriter"/>. A failed
/// write is retried with backoff, taking the batch again from the queue (by then maybe from the spill file); the
/// sources never wait for it.
/// </summary>
internal sealed partial class StorageService(
    NpgsqlDataSource dataSource,
    SampleQueue queue,
    RejectedSamples rejected,
    StorageState state,
    Supervisor supervisor,
    SourceHealth health,
    IOptions<ScraperOptions> options,
    TimeProvider time,
    ILogger<StorageService> logger) : BackgroundService
{
    private readonly DatabaseOptions _database = options.Value.Database;
    private readonly StorageOptions _storage = options.Value.Storage;

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // Whatever the writer did not store goes to disk; a crash skips this, and the back-fill covers that.
        queue.SpillMemory();
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var path = await MigrateAsync(stoppingToken);
        if (path is null) return;
        var writer = new SampleWriter(dataSource, path.Value, timeProvider: time);
        var maintenance = StartMaintenance(path.Value, stoppingToken);
        try
        {
            await WriteLoopAsync(writer, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await maintenance;
    }

    /// <summary>
    /// On the plain path, the partition and rollup maintainers under supervision. On the TimescaleDB path the
    /// database's own policies keep chunks, retention and continuous aggregates, so neither is started: a maintainer
    /// with nothing to do would return at once, which the supervisor would count as a failure and retry for ever.
    /// </summary>
    private Task StartMaintenance(StoragePath path, CancellationToken stoppingToken)
    {
        if (path != StoragePath.Plain)
        {
            LogMaintenanceByDatabase(logger, path);
            return Task.CompletedTask;
        }
        var partitions = new PartitionMaintainer(dataSource, path, new PartitionMaintainerOptions { Retention = _database.Retention, Interval = _database.PartitionInterval }, time);
        var rollups = new RollupMaintainer(dataSource, path, time);
        return Task.WhenAll(
            supervisor.RunAsync("database partitions", partitions.RunAsync, _database.RetryMinDelay, _database.RetryMaxDelay, stoppingToken),
            supervisor.RunAsync("database rollups", ct => rollups.RunAsync(_database.RollupInterval, ct), _database.RetryMinDelay, _database.RetryMaxDelay, stoppingToken));
    }

    private async Task<StoragePath?> MigrateAsync(CancellationToken cancellationToken)
    {
        var backoff = new Backoff(_database.RetryMinDelay, _database.RetryMaxDelay);
        var migrator = new SchemaMigrator(dataSource, new SchemaMigratorOptions { Path = _database.Path });
        while (true)
        {
            try
            {
                var result = await migrator.MigrateAsync(cancellationToken);
                LogMigrated(logger, result.Path, result.PathReason, result.AppliedNow.Count);
                health.MarkMigrated();
                health.Report(SourceHealth.Database, true);
                state.SetMigrated();
                return result.Path;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return null;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or System.Net.Sockets.SocketException)
            {
                var delay = backoff.Next();
                health.Report(SourceHealth.Database, false, ex.Message);
                LogMigrationFailed(logger, ex.Message, delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return null;
                }
            }
        }
    }

    private async Task WriteLoopAsync(SampleWriter writer, CancellationToken cancellationToken)
    {
        var backoff = new Backoff(_database.RetryMinDelay, _database.RetryMaxDelay);
        string? outage = null;
        while (true)
        {
            await queue.WaitForBatchAsync(_storage.BatchSize, _storage.BatchDelay, time, cancellationToken);
            var batch = queue.Take(_storage.BatchSize);
            if (batch is null) continue;
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_database.WriteTimeout);
                var result = await WriteOrRejectAsync(writer, batch.Items.ToArray(), timeout.Token);
                queue.Commit(batch);
                ScraperMetrics.CopyDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
                ScraperMetrics.CopyRows.Observe(batch.Items.Count);
                ScraperMetrics.ValuesWritten.Inc(batch.Items.Count);
                if (outage is not null)
                {
                    LogWritingAgain(logger, outage, queue.Depth);
                    health.Report(SourceHealth.Database, true);
                    outage = null;
                }
                if (result.Replayed) LogReplayed(logger, result.Samples, result.Inserted);
                backoff.Reset();
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is NpgsqlException or TimeoutException or IOException or OperationCanceledException or System.Net.Sockets.SocketException)
            {
                ScraperMetrics.WriteFailures.Inc();
                var delay = backoff.Next();
                var problem = ex is OperationCanceledException ? $"no answer within {_database.WriteTimeout.TotalSeconds} s" : ex.Message;
                if (outage is null) LogWriteFailed(logger, batch.Items.Count, problem, delay.TotalSeconds);
                outage = problem;
                health.Report(SourceHealth.Database, false, problem);
                await Task.Delay(delay, time, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="samples"/>; when the database refuses the data itself (an SQL data exception, which no
    /// retry can fix), halves the batch until the refused samples are isolated, keeps those in the rejected file
    /// for inspection, and stores the rest, so one bad sample never blocks everything behind it.
    /// </summary>
    private async Task<WriteResult> WriteOrRejectAsync(SampleWriter writer, Sample[] samples, CancellationToken cancellationToken)
    {
        try
        {
            return await writer.WriteAsync(samples, cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            if (samples.Length == 1)
            {
                rejected.Reject(samples[0], ex.MessageText);
                return new WriteResult(1, 0, false);
            }
            var half = samples.Length / 2;
            var first = await WriteOrRejectAsync(writer, samples[..half], cancellationToken);
            var second = await WriteOrRejectAsync(writer, samples[half..], cancellationToken);
            return new WriteResult(samples.Length, first.Inserted + second.Inserted, first.Replayed || second.Replayed);
        }
    }

    [LoggerMessage(EventId = 610, Level = LogLevel.Information, Message = "Database schema ready on the {Path} path ({Reason}); {Applied} migrations applied now")]
    private static partial void LogMigrated(ILogger logger, StoragePath path, string reason, int applied);

    [LoggerMessage(EventId = 611, Level = LogLevel.Warning, Message = "Cannot migrate the database schema: {Problem}. Sources keep collecting into the queue; retrying in {DelaySeconds:F1} s")]
    private static partial void LogMigrationFailed(ILogger logger, string problem, double delaySeconds);

    [LoggerMessage(EventId = 612, Level = LogLevel.Warning, Message = "Writing a batch of {Count} samples failed: {Problem}. The batch stays queued (spilling to disk once memory is full) and is retried in {DelaySeconds:F1} s")]
    private static partial void LogWriteFailed(ILogger logger, int count, string problem, double delaySeconds);

    [LoggerMessage(EventId = 613, Level = LogLevel.Information, Message = "The database takes writes again after: {Problem}. {Depth} samples wait and are written in order")]
    private static partial void LogWritingAgain(ILogger logger, string problem, long depth);

    [LoggerMessage(EventId = 615, Level = LogLevel.Information, Message = "On the {Path} path the database's own policies keep partitions, retention and rollups; the scraper's maintainers are not started")]
    private static partial void LogMaintenanceByDatabase(ILogger logger, StoragePath path);

    [LoggerMessage(EventId = 614, Level = LogLevel.Information, Message = "A replayed batch of {Samples} samples was partly stored before; {Inserted} rows were new, nothing is stored twice")]
    private static partial void LogReplayed(ILogger logger, int samples, long inserted);
}
