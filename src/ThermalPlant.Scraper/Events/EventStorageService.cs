using Microsoft.Extensions.Options;
using Npgsql;
using ThermalPlant.Scraper.Delivery;
using ThermalPlant.Storage.Events;
using ThermalPlant.Storage.Schema;

namespace ThermalPlant.Scraper.Events;

/// <summary>
/// Writes the <see cref="EventQueue"/>'s batches into the <c>events</c> table once the schema is migrated (by the
/// sample <see cref="StorageService"/>), in order, with the idempotent <see cref="EventWriter"/>. A failed write is
/// retried with backoff, taking the batch again from the queue (by then maybe from the spill file); the sources never
/// wait for it. An event the database refuses as data is isolated by halving the batch, logged with its content and
/// dropped, so it never blocks the events behind it.
/// </summary>
internal sealed partial class EventStorageService(
    NpgsqlDataSource dataSource,
    EventQueue queue,
    StorageState state,
    IOptions<ScraperOptions> options,
    TimeProvider time,
    ILogger<EventStorageService> logger) : BackgroundService
{
    private readonly DatabaseOptions _database = options.Value.Database;
    private readonly EventStorageOptions _events = options.Value.Events;

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // What the writer did not store goes to disk; a crash skips this, and the event back-fill covers that.
        queue.SpillMemory();
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await state.Migrated.WaitAsync(stoppingToken);
            await Task.WhenAll(WriteLoopAsync(new EventWriter(dataSource), stoppingToken), RetentionLoopAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task WriteLoopAsync(EventWriter writer, CancellationToken cancellationToken)
    {
        var backoff = new Backoff(_database.RetryMinDelay, _database.RetryMaxDelay);
        string? outage = null;
        while (true)
        {
            await queue.WaitForBatchAsync(_events.BatchSize, _events.BatchDelay, time, cancellationToken);
            var batch = queue.Take(_events.BatchSize);
            if (batch is null) continue;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_database.WriteTimeout);
                await WriteOrRejectAsync(writer, batch.Items, timeout.Token);
                queue.Commit(batch);
                EventMetrics.Written.Inc(batch.Items.Count);
                if (outage is not null)
                {
                    LogWritingAgain(logger, outage, queue.Depth);
                    outage = null;
                }
                backoff.Reset();
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is NpgsqlException or TimeoutException or IOException or OperationCanceledException or System.Net.Sockets.SocketException)
            {
                EventMetrics.WriteFailures.Inc();
                var delay = backoff.Next();
                var problem = ex is OperationCanceledException ? $"no answer within {_database.WriteTimeout.TotalSeconds} s" : ex.Message;
                if (outage is null) LogWriteFailed(logger, batch.Items.Count, problem, delay.TotalSeconds);
                outage = problem;
                await Task.Delay(delay, time, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Keeps the table to <see cref="EventStorageOptions.Retention"/>: on TimescaleDB sets the policy once, on plain
    /// PostgreSQL deletes what expired every <see cref="EventStorageOptions.RetentionInterval"/>. A failure is logged and
    /// tried again at the next interval; writing goes on meanwhile.
    /// </summary>
    private async Task RetentionLoopAsync(CancellationToken cancellationToken)
    {
        var retention = new EventRetention(dataSource, _events.Retention, time);
        StoragePath? path = null;
        var policySet = false;
        using var timer = new PeriodicTimer(_events.RetentionInterval, time);
        do
        {
            try
            {
                path ??= await new SchemaMigrator(dataSource).GetPathAsync(cancellationToken);
                if (!policySet && await retention.ApplyPolicyAsync(path.Value, cancellationToken) is { } previous)
                {
                    LogPolicySet(logger, _events.Retention.TotalDays, previous.TotalDays);
                }
                policySet = true;
                var deleted = await retention.DeleteExpiredAsync(path.Value, cancellationToken);
                if (deleted > 0) LogExpiredDeleted(logger, deleted, _events.Retention.TotalDays);
                // TimescaleDB drops the chunks itself from now on.
                if (path == StoragePath.TimescaleDb) return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is NpgsqlException or TimeoutException or IOException or System.Net.Sockets.SocketException)
            {
                LogRetentionFailed(logger, ex.Message, _events.RetentionInterval.TotalMinutes);
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    private async Task WriteOrRejectAsync(EventWriter writer, List<StoredEvent> events, CancellationToken cancellationToken)
    {
        try
        {
            await writer.WriteAsync(events, cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            if (events.Count == 1)
            {
                EventMetrics.Rejected.Inc();
                var e = events[0];
                LogRejected(logger, e.Endpoint, e.EventType, e.SourceName, e.Time, e.Message, ex.MessageText);
                return;
            }
            var half = events.Count / 2;
            await WriteOrRejectAsync(writer, events[..half], cancellationToken);
            await WriteOrRejectAsync(writer, events[half..], cancellationToken);
        }
    }

    [LoggerMessage(EventId = 644, Level = LogLevel.Warning, Message = "Writing a batch of {Count} events failed: {Problem}. The batch stays queued (spilling to disk once memory is full) and is retried in {DelaySeconds:F1} s")]
    private static partial void LogWriteFailed(ILogger logger, int count, string problem, double delaySeconds);

    [LoggerMessage(EventId = 645, Level = LogLevel.Information, Message = "The database takes events again after: {Problem}. {Depth} events wait and are written in order")]
    private static partial void LogWritingAgain(ILogger logger, string problem, long depth);

    [LoggerMessage(EventId = 647, Level = LogLevel.Information, Message = "The events table's retention policy now drops events older than {Days:F1} days (it was {PreviousDays:F1}; 0 for none)")]
    private static partial void LogPolicySet(ILogger logger, double days, double previousDays);

    [LoggerMessage(EventId = 648, Level = LogLevel.Information, Message = "Deleted {Count} events older than the retention of {Days:F1} days")]
    private static partial void LogExpiredDeleted(ILogger logger, long count, double days);

    [LoggerMessage(EventId = 649, Level = LogLevel.Warning, Message = "Applying the events' retention failed: {Problem}. Tried again in {Minutes:F0} min; events are written meanwhile")]
    private static partial void LogRetentionFailed(ILogger logger, string problem, double minutes);

    [LoggerMessage(EventId = 646, Level = LogLevel.Error, Message = "The database refused the event of {Endpoint} ({EventType} from {Source} at {Time:o}, message {Message}): {Reason}. It is not stored; the rest of the queue is")]
    private static partial void LogRejected(ILogger logger, string endpoint, string eventType, string? source, DateTime time, string? message, string reason);
}
