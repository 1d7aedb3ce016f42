using Microsoft.Extensions.Options;
using Npgsql;
using ThermalPlant.Scraper.Delivery;
using ThermalPlant.Storage.Events;
using ThermalPlant.Storage.Schema;

namespace ThermalPlant.Scraper.Events;

/// <summary>
/// Writes the <see cref="EventQueue"/>'s batches into the <c>events</c> table once the schema is migrated (by the
/// sample <see cref="StorageService"/>), in order, with the idempotent <see cref="EventWriter"/>
/// (<see cref="DatabaseQueueService{T}"/>). An event the database refuses as data is logged with its content and
/// dropped.
/// </summary>
internal sealed partial class EventStorageService(
    NpgsqlDataSource dataSource,
    EventQueue queue,
    StorageState state,
    IOptions<ScraperOptions> options,
    TimeProvider time,
    ILogger<EventStorageService> logger) : DatabaseQueueService<StoredEvent>(queue, options.Value.Database, time)
{
    private readonly EventStorageOptions _events = options.Value.Events;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await state.Migrated.WaitAsync(stoppingToken);
            var writer = new EventWriter(dataSource);
            await Task.WhenAll(
                WriteLoopAsync(_events.BatchSize, _events.BatchDelay, async (events, ct) => new StoredBatch(await writer.WriteAsync(events, ct), false), stoppingToken),
                RetentionLoopAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <inheritdoc />
    protected override void OnWritten(int count, StoredBatch stored, TimeSpan elapsed) => EventMetrics.Written.Inc(count);

    /// <inheritdoc />
    protected override void OnWriteFailed(int count, string problem, TimeSpan delay, bool firstOfOutage)
    {
        EventMetrics.WriteFailures.Inc();
        if (firstOfOutage) LogWriteFailed(logger, count, problem, delay.TotalSeconds);
    }

    /// <inheritdoc />
    protected override void OnWritingAgain(string problem, long depth) => LogWritingAgain(logger, problem, depth);

    /// <summary>Counts and logs the refused event with its content; it is not stored.</summary>
    protected override void Reject(StoredEvent item, PostgresException refusal)
    {
        EventMetrics.Rejected.Inc();
        LogRejected(logger, item.Endpoint, item.EventType, item.SourceName, item.Time, item.Message, refusal.MessageText);
    }

    /// <summary>
    /// Keeps the table to <see cref="EventStorageOptions.Retention"/>: on TimescaleDB sets the policy once, on plain
    /// PostgreSQL deletes what expired every <see cref="EventStorageOptions.RetentionInterval"/>. A failure is logged and
    /// tried again at the next interval; writing goes on meanwhile.
    /// </summary>
    private async Task RetentionLoopAsync(CancellationToken cancellationToken)
    {
        var retention = new EventRetention(dataSource, _events.Retention, Time);
        StoragePath? path = null;
        var policySet = false;
        using var timer = new PeriodicTimer(_events.RetentionInterval, Time);
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
