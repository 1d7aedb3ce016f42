using Microsoft.Extensions.Options;
using ThermalPlant.Storage.Events;

namespace ThermalPlant.Scraper.Events;

/// <summary>A batch taken from the <see cref="EventQueue"/>; hand it back to <see cref="EventQueue.Commit"/> once stored.</summary>
internal sealed record EventBatch(List<StoredEvent> Events, bool FromSpill, long Generation, long SpillEnd);

/// <summary>
/// Every event the sources received that is not stored yet, in the order received: the same path as the sample queue.
/// Events wait in memory up to <see cref="EventStorageOptions.QueueCapacity"/>; beyond that (the database is down or
/// slow) everything waiting moves to the <see cref="EventSpillFile"/> and new events are appended there until the
/// writer has replayed it. A batch stays queued until committed, so an event is never in neither place; at a graceful
/// stop memory moves to the file, which the next start replays first. Adding never blocks a source.
/// </summary>
internal sealed partial class EventQueue : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Queue<StoredEvent> _memory = new();
    private readonly int _capacity;
    private readonly EventSpillFile _spill;
    private readonly ILogger _logger;
    private TaskCompletionSource _added = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _generation;
    private bool _spilling;

    public EventQueue(IOptions<ScraperOptions> options, IHostEnvironment environment, ILogger<EventQueue> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        _capacity = options.Value.Events.QueueCapacity;
        _logger = logger;
        // Next to the sample spill file, whose lock keeps a second scraper out of the directory.
        var directory = Path.GetFullPath(options.Value.Storage.DataDirectory, environment.ContentRootPath);
        _spill = new EventSpillFile(directory);
        _spilling = _spill.HasPending;
        if (_spilling) LogRecovered(_logger, _spill.PendingEvents, _spill.Length, directory);
        Publish();
    }

    /// <summary>Events waiting in memory and in the spill file.</summary>
    public long Depth
    {
        get
        {
            lock (_lock) return _memory.Count + _spill.PendingEvents;
        }
    }

    /// <summary>Size of the event spill file, bytes.</summary>
    public long SpillBytes
    {
        get
        {
            lock (_lock) return _spill.Length;
        }
    }

    /// <summary>Queues <paramref name="events"/> behind everything queued before; spills when memory is full.</summary>
    public void Add(IReadOnlyCollection<StoredEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0) return;
        TaskCompletionSource added;
        lock (_lock)
        {
            if (!_spilling && _memory.Count + events.Count > _capacity)
            {
                LogSpilling(_logger, _memory.Count, _capacity);
                MoveMemoryToSpill();
            }
            if (_spilling)
            {
                _spill.Append(events);
            }
            else
            {
                foreach (var e in events) _memory.Enqueue(e);
            }
            added = _added;
            _added = new(TaskCreationOptions.RunContinuationsAsynchronously);
            Publish();
        }
        added.TrySetResult();
    }

    /// <summary>Waits until a batch is worth writing: <paramref name="batchSize"/> events, events in the spill file, or the oldest has waited <paramref name="maxDelay"/>.</summary>
    public async Task WaitForBatchAsync(int batchSize, TimeSpan maxDelay, TimeProvider time, CancellationToken cancellationToken)
    {
        long? firstSeen = null;
        while (true)
        {
            Task added;
            lock (_lock)
            {
                var count = _memory.Count;
                if (_spilling || count >= batchSize) return;
                if (count > 0) firstSeen ??= time.GetTimestamp();
                added = _added.Task;
            }
            if (firstSeen is { } since)
            {
                var left = maxDelay - time.GetElapsedTime(since);
                if (left <= TimeSpan.Zero) return;
                await Task.WhenAny(added, Task.Delay(left, time, cancellationToken));
                cancellationToken.ThrowIfCancellationRequested();
            }
            else
            {
                await added.WaitAsync(cancellationToken);
            }
        }
    }

    /// <summary>The oldest waiting events, at most <paramref name="max"/>; null when nothing waits. They stay queued until committed.</summary>
    public EventBatch? Take(int max)
    {
        lock (_lock)
        {
            if (_spilling)
            {
                var fromFile = new List<StoredEvent>(Math.Min(max, 4096));
                var end = _spill.Read(fromFile, max);
                return fromFile.Count == 0 && end == _spill.ReadPosition ? null : new EventBatch(fromFile, true, _generation, end);
            }
            if (_memory.Count == 0) return null;
            return new EventBatch([.. _memory.Take(max)], false, _generation, 0);
        }
    }

    /// <summary>Removes a stored batch from the queue.</summary>
    public void Commit(EventBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (_lock)
        {
            if (batch.FromSpill)
            {
                _spill.Commit(batch.SpillEnd, batch.Events.Count);
                if (!_spill.HasPending && _spill.Length == 0)
                {
                    _spilling = false;
                    LogSpillReplayed(_logger);
                }
            }
            else if (batch.Generation == _generation)
            {
                // Still the head of memory: only the writer removes events, and nothing moved them to the spill file.
                for (var i = 0; i < batch.Events.Count; i++) _memory.Dequeue();
            }
            Publish();
        }
    }

    /// <summary>Moves what waits in memory to the spill file (at shutdown), so that the next start stores it.</summary>
    public void SpillMemory()
    {
        lock (_lock)
        {
            if (_memory.Count == 0) return;
            LogSpillingAtStop(_logger, _memory.Count);
            MoveMemoryToSpill();
            Publish();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _spill.Dispose();

    private void MoveMemoryToSpill()
    {
        _spill.Append(_memory);
        _memory.Clear();
        _generation++;
        _spilling = true;
    }

    private void Publish()
    {
        EventMetrics.QueueDepth.Set(_memory.Count + _spill.PendingEvents);
        EventMetrics.SpillBytes.Set(_spill.Length);
    }

    [LoggerMessage(EventId = 640, Level = LogLevel.Warning, Message = "The in-memory event queue is full ({Count} of {Capacity} events): the database is down or slow. Spilling events to the event spill file; it is replayed in order when the database takes writes again")]
    private static partial void LogSpilling(ILogger logger, int count, int capacity);

    [LoggerMessage(EventId = 641, Level = LogLevel.Information, Message = "The event spill file is replayed into the database and deleted; events queue in memory again")]
    private static partial void LogSpillReplayed(ILogger logger);

    [LoggerMessage(EventId = 642, Level = LogLevel.Information, Message = "Stopping: {Count} events not yet stored move to the event spill file; the next start stores them")]
    private static partial void LogSpillingAtStop(ILogger logger, int count);

    [LoggerMessage(EventId = 643, Level = LogLevel.Warning, Message = "A previous run left {Count} events ({Bytes} bytes) in the event spill file in {Directory}; they are replayed into the database first")]
    private static partial void LogRecovered(ILogger logger, long count, long bytes, string directory);
}
