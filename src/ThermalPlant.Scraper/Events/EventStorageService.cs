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
    IOptionsMonitor<ScraperOptions> reloaded,
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
    /// Keeps the table to its retention every <see cref="EventStorageOptions.RetentionInterval"/>: on TimescaleDB makes
    /// the table's retention policy drop chunks past it (replacing a policy of another age), on plain PostgreSQL deletes
    /// what expired. The retention is read again each time, so a <see cref="EventStorageOptions.Retention"/> changed in a
    /// configuration source that reloads (appsettings.json) takes effect at the next interval without a restart; a
    /// reloaded configuration that fails validation is logged and the last valid retention kept. A failure is logged and
    /// tried again at the next interval; writing goes on meanwhile.
    /// </summary>
    private async Task RetentionLoopAsync(CancellationToken cancellationToken)
    {
        var retention = _events.Retention;
        StoragePath? path = null;
        using var timer = new PeriodicTimer(_events.RetentionInterval, Time);
        do
        {
            retention = CurrentRetention(retention);
            try
            {
                path ??= await new SchemaMigrator(dataSource).GetPathAsync(cancellationToken);
                var keeper = new EventRetention(dataSource, retention, Time);
                if (await keeper.ApplyPolicyAsync(path.Value, cancellationToken) is { } previous)
                {
                    LogPolicySet(logger, retention.TotalDays, previous.TotalDays);
                }
                var deleted = await keeper.DeleteExpiredAsync(path.Value, cancellationToken);
                if (deleted > 0) LogExpiredDeleted(logger, deleted, retention.TotalDays);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is NpgsqlException or TimeoutException or IOException or System.Net.Sockets.SocketException)
            {
                LogRetentionFailed(logger, ex.Message, _events.RetentionInterval.TotalMinutes);
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    /// <summary>The retention the configuration holds now; <paramref name="last"/> while a reloaded one is not valid.</summary>
    private TimeSpan CurrentRetention(TimeSpan last)
    {
        try
        {
            return reloaded.CurrentValue.Events.Retention;
        }
        catch (OptionsValidationException ex)
        {
            LogReloadInvalid(logger, ex.Message, last.TotalDays);
            return last;
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

    [LoggerMessage(EventId = 656, Level = LogLevel.Warning, Message = "The reloaded configuration is not valid: {Problem}. The events' retention stays at {Days:F1} days until it is")]
    private static partial void LogReloadInvalid(ILogger logger, string problem, double days);

    [LoggerMessage(EventId = 646, Level = LogLevel.Error, Message = "The database refused the event of {Endpoint} ({EventType} from {Source} at {Time:o}, message {Message}): {Reason}. It is not stored; the rest of the queue is")]
    private static partial void LogRejected(ILogger logger, string endpoint, string eventType, string? source, DateTime time, string? message, string reason);
}
