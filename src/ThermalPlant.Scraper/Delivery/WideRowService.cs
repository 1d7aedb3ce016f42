using Microsoft.Extensions.Options;
using Npgsql;
using ThermalPlant.Scraper.Supervision;
using ThermalPlant.Storage.WideRows;

namespace ThermalPlant.Scraper.Delivery;

/// <summary>
/// The wide-row sink: every <see cref="WideRowOptions.Interval"/> it takes one row of the columns' latest values
/// (NULL where a value is missing, Bad or stale: a failed Modbus poll empties its columns, it never drops the row),
/// and a supervised writer inserts the rows taken. Taking rows never waits for the database, so a database outage
/// costs no row up to <see cref="WideRowOptions.MaxPendingRows"/>; the writer prepares the table again after every
/// failure, so a table fixed by hand is picked up without a restart.
/// </summary>
internal sealed partial class WideRowService(
    NpgsqlDataSource dataSource,
    LatestValues latest,
    Supervisor supervisor,
    SourceHealth health,
    IOptions<ScraperOptions> options,
    TimeProvider time,
    ILogger<WideRowService> logger) : BackgroundService
{
    private readonly WideRowOptions _options = options.Value.WideRow;
    private readonly TimeSpan _writeTimeout = options.Value.Database.WriteTimeout;
    private readonly Lock _lock = new();
    private readonly Queue<WideRow> _pending = new();
    private TaskCompletionSource _taken = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _dropping;

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled) return Task.CompletedTask;
        var table = new WideRowTable(dataSource, _options.ToDefinition());
        var name = $"wide rows {table.QualifiedName}";
        return Task.WhenAll(
            TakeRowsAsync(stoppingToken),
            supervisor.RunAsync(name, ct => WriteRowsAsync(table, name, ct), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), stoppingToken));
    }

    private async Task TakeRowsAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var now = time.GetUtcNow().UtcDateTime;
                var values = new double?[latest.Count];
                latest.Snapshot(now, _options.MaxValueAge, values);
                Enqueue(new WideRow(now, values));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private void Enqueue(WideRow row)
    {
        TaskCompletionSource taken;
        lock (_lock)
        {
            _pending.Enqueue(row);
            if (_pending.Count > _options.MaxPendingRows)
            {
                _pending.Dequeue();
                WideRowMetrics.Dropped.Inc();
                if (!_dropping) LogDropping(logger, _options.MaxPendingRows);
                _dropping = true;
            }
            WideRowMetrics.Pending.Set(_pending.Count);
            taken = _taken;
            _taken = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        taken.TrySetResult();
    }

    private async Task WriteRowsAsync(WideRowTable table, string name, CancellationToken cancellationToken)
    {
        await table.PrepareAsync(_options.CreateTable, cancellationToken);
        health.Report(name, true);
        LogReady(logger, table.QualifiedName, latest.Count, _options.Interval.TotalSeconds);
        while (true)
        {
            WideRow[] rows;
            Task taken;
            lock (_lock)
            {
                rows = [.. _pending];
                taken = _taken.Task;
            }
            if (rows.Length == 0)
            {
                await taken.WaitAsync(cancellationToken);
                continue;
            }
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(_writeTimeout);
                await table.InsertAsync(rows, timeout.Token);
            }
            WideRowMetrics.Written.Inc(rows.Length);
            var written = new HashSet<WideRow>(rows, ReferenceEqualityComparer.Instance);
            lock (_lock)
            {
                // The written rows are the queue's head, less any dropped meanwhile; rows taken meanwhile stay behind them.
                while (_pending.TryPeek(out var head) && written.Contains(head)) _pending.Dequeue();
                WideRowMetrics.Pending.Set(_pending.Count);
                _dropping = false;
            }
        }
    }

    [LoggerMessage(EventId = 630, Level = LogLevel.Information, Message = "Writing a wide row into {Table} every {IntervalSeconds} s ({Columns} value columns)")]
    private static partial void LogReady(ILogger logger, string table, int columns, double intervalSeconds);

    [LoggerMessage(EventId = 631, Level = LogLevel.Warning, Message = "{Max} wide rows wait for the database; the oldest are dropped until it takes writes again (sensor_data keeps every value)")]
    private static partial void LogDropping(ILogger logger, int max);
}
