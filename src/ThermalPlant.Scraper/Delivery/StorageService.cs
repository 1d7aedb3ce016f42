using Microsoft.Extensions.Options;
using Npgsql;
using ThermalPlant.Scraper.Supervision;
using ThermalPlant.Storage.Maintenance;
using ThermalPlant.Storage.Schema;
using ThermalPlant.Storage.Writing;

namespace ThermalPlant.Scraper.Delivery;

/// <summary>
/// The database side: migrates the schema (retrying until the database answers), runs the partition and rollup
/// maintainers, and writes the queue's batches in order with the idempotent <see cref="SampleWriter"/>
/// (<see cref="DatabaseQueueService{T}"/>). A sample the database refuses as data is kept in the rejected file.
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
    ILogger<StorageService> logger) : DatabaseQueueService<Sample>(queue, options.Value.Database, time)
{
    private readonly DatabaseOptions _database = options.Value.Database;
    private readonly StorageOptions _storage = options.Value.Storage;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var path = await MigrateAsync(stoppingToken);
        if (path is null) return;
        var writer = new SampleWriter(dataSource, path.Value, timeProvider: Time);
        var maintenance = StartMaintenance(path.Value, stoppingToken);
        try
        {
            await WriteLoopAsync(_storage.BatchSize, _storage.BatchDelay, async (samples, ct) =>
            {
                var result = await writer.WriteAsync(samples, ct);
                return new StoredBatch(result.Inserted, result.Replayed);
            }, stoppingToken);
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
        var partitions = new PartitionMaintainer(dataSource, path, new PartitionMaintainerOptions { Retention = _database.Retention, Interval = _database.PartitionInterval }, Time);
        var rollups = new RollupMaintainer(dataSource, path, Time);
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
                    await Task.Delay(delay, Time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return null;
                }
            }
        }
    }

    /// <inheritdoc />
    protected override void OnWritten(int count, StoredBatch stored, TimeSpan elapsed)
    {
        ScraperMetrics.CopyDuration.Observe(elapsed.TotalSeconds);
        ScraperMetrics.CopyRows.Observe(count);
        ScraperMetrics.ValuesWritten.Inc(count);
        if (stored.Replayed) LogReplayed(logger, count, stored.Inserted);
    }

    /// <inheritdoc />
    protected override void OnWriteFailed(int count, string problem, TimeSpan delay, bool firstOfOutage)
    {
        ScraperMetrics.WriteFailures.Inc();
        if (firstOfOutage) LogWriteFailed(logger, count, problem, delay.TotalSeconds);
        health.Report(SourceHealth.Database, false, problem);
    }

    /// <inheritdoc />
    protected override void OnWritingAgain(string problem, long depth)
    {
        LogWritingAgain(logger, problem, depth);
        health.Report(SourceHealth.Database, true);
    }

    /// <summary>Keeps the refused sample in the rejected file for inspection.</summary>
    protected override void Reject(Sample item, PostgresException refusal) => rejected.Reject(item, refusal.MessageText);

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
