using Prometheus;

namespace ThermalPlant.Scraper.Delivery;

/// <summary>A batch taken from a <see cref="SpillQueue{T}"/>; hand it back to <see cref="SpillQueue{T}.Commit"/> once stored.</summary>
/// <typeparam name="T">The item queued.</typeparam>
internal sealed record SpillBatch<T>(List<T> Items, bool FromSpill, long Generation, long SpillEnd);

/// <summary>What a <see cref="SpillQueue{T}"/> calls its items and file in its logs and metrics, and its log event ids.</summary>
/// <param name="Items">The items, plural ("samples").</param>
/// <param name="Queue">The queue ("queue", "event queue").</param>
/// <param name="File">The spill file ("spill file").</param>
/// <param name="FirstEventId">The first of four consecutive log event ids: spilling, replayed, spilling at stop, recovered.</param>
/// <param name="SetAsideEventId">The log event id of a file set aside.</param>
/// <param name="Depth">The gauge of items waiting in memory and in the file.</param>
/// <param name="SpillBytes">The gauge of the file's size.</param>
internal sealed record SpillQueueNames(string Items, string Queue, string File, int FirstEventId, int SetAsideEventId, Gauge Depth, Gauge SpillBytes);

/// <summary>
/// Everything the sources produced that is not stored yet, in the order produced. Items wait in memory up to a
/// capacity; when that bound is hit (storage is down or slow), everything waiting moves to the
/// <see cref="SpillFile{T}"/> and new items are appended there, until the writer has replayed the file, in order, and
/// memory takes over again. A batch stays queued until it is committed, so an item is never in neither place: at worst
/// it is in both, and storage keeps it once. At a graceful stop memory moves to the file, which the next start replays
/// first. Adding never blocks a source.
/// </summary>
/// <typeparam name="T">The item queued.</typeparam>
internal abstract class SpillQueue<T> : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Queue<T> _memory = new();
    private readonly int _capacity;
    private readonly SpillFile<T> _spill;
    private readonly ILogger _logger;
    private readonly SpillQueueNames _names;
    private readonly Action<ILogger, int, int, Exception?> _logSpilling;
    private readonly Action<ILogger, Exception?> _logSpillReplayed;
    private readonly Action<ILogger, int, Exception?> _logSpillingAtStop;
    private TaskCompletionSource _added = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _generation;
    private bool _spilling;

    /// <summary>Opens the queue on <paramref name="spill"/>, which replays first what a previous run left there.</summary>
    protected SpillQueue(SpillFile<T> spill, string directory, int capacity, SpillQueueNames names, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(spill);
        ArgumentNullException.ThrowIfNull(names);
        _spill = spill;
        _capacity = capacity;
        _names = names;
        _logger = logger;
        var id = names.FirstEventId;
        _logSpilling = LoggerMessage.Define<int, int>(LogLevel.Warning, new EventId(id, "LogSpilling"),
            $"The in-memory {names.Queue} is full ({{Count}} of {{Capacity}} {names.Items}): the database is down or slow. Spilling to the {names.File}; it is replayed in order when the database takes writes again");
        _logSpillReplayed = LoggerMessage.Define(LogLevel.Information, new EventId(id + 1, "LogSpillReplayed"),
            $"The {names.File} is replayed into the database and deleted; {names.Items} queue in memory again");
        _logSpillingAtStop = LoggerMessage.Define<int>(LogLevel.Information, new EventId(id + 2, "LogSpillingAtStop"),
            $"Stopping: {{Count}} {names.Items} not yet stored move to the {names.File}; the next start stores them");
        if (spill.SetAside is { } aside)
        {
            LoggerMessage.Define<string, string>(LogLevel.Warning, new EventId(names.SetAsideEventId, "LogSetAside"),
                $"The {names.File} in {{Directory}} is not in this build's format (another version wrote it); it is kept as {{Path}} and none of it is replayed: the version that wrote it can replay it")(logger, directory, aside, null);
        }
        _spilling = spill.HasPending;
        if (_spilling)
        {
            LoggerMessage.Define<long, long, string>(LogLevel.Warning, new EventId(id + 3, "LogRecovered"),
                $"A previous run left {{Count}} {names.Items} ({{Bytes}} bytes) in the {names.File} in {{Directory}}; they are replayed into the database first")(logger, spill.Pending, spill.Length, directory, null);
        }
        Publish();
    }

    /// <summary>Items waiting in memory and in the spill file.</summary>
    public long Depth
    {
        get
        {
            lock (_lock) return _memory.Count + _spill.Pending;
        }
    }

    /// <summary>Size of the spill file, bytes.</summary>
    public long SpillBytes
    {
        get
        {
            lock (_lock) return _spill.Length;
        }
    }

    /// <summary>Queues <paramref name="items"/> behind everything queued before; spills when memory is full.</summary>
    public void Add(IReadOnlyCollection<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0) return;
        OnAdding(items);
        TaskCompletionSource added;
        lock (_lock)
        {
            if (!_spilling && _memory.Count + items.Count > _capacity)
            {
                _logSpilling(_logger, _memory.Count, _capacity, null);
                MoveMemoryToSpill();
            }
            if (_spilling)
            {
                _spill.Append(items);
            }
            else
            {
                foreach (var item in items) _memory.Enqueue(item);
            }
            added = _added;
            _added = new(TaskCreationOptions.RunContinuationsAsynchronously);
            Publish();
        }
        added.TrySetResult();
    }

    /// <summary>
    /// Waits until a batch is worth writing (<paramref name="batchSize"/> items, items in the spill file, or the oldest
    /// waiting item has waited <paramref name="maxDelay"/>) and takes it: the oldest waiting items, at most
    /// <paramref name="batchSize"/>. They stay queued until committed.
    /// </summary>
    public async Task<SpillBatch<T>> TakeBatchAsync(int batchSize, TimeSpan maxDelay, TimeProvider time, CancellationToken cancellationToken)
    {
        while (true)
        {
            await WaitForBatchAsync(batchSize, maxDelay, time, cancellationToken);
            if (Take(batchSize) is { } batch) return batch;
        }
    }

    private async Task WaitForBatchAsync(int batchSize, TimeSpan maxDelay, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
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

    /// <summary>The oldest waiting items, at most <paramref name="max"/>; null when nothing waits.</summary>
    private SpillBatch<T>? Take(int max)
    {
        lock (_lock)
        {
            if (_spilling)
            {
                var fromFile = new List<T>(Math.Min(max, 65_536));
                var end = _spill.Read(fromFile, max);
                return fromFile.Count == 0 && end == _spill.ReadPosition ? null : new SpillBatch<T>(fromFile, true, _generation, end);
            }
            if (_memory.Count == 0) return null;
            var items = new List<T>(Math.Min(max, _memory.Count));
            foreach (var item in _memory)
            {
                if (items.Count == max) break;
                items.Add(item);
            }
            return new SpillBatch<T>(items, false, _generation, 0);
        }
    }

    /// <summary>Removes a stored batch from the queue.</summary>
    public void Commit(SpillBatch<T> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (_lock)
        {
            if (batch.FromSpill)
            {
                _spill.Commit(batch.SpillEnd, batch.Items.Count);
                if (!_spill.HasPending && _spill.Length == 0)
                {
                    _spilling = false;
                    _logSpillReplayed(_logger, null);
                }
            }
            else if (batch.Generation == _generation)
            {
                // Still the head of memory: only the writer removes items, and nothing moved them to the spill file.
                for (var i = 0; i < batch.Items.Count; i++) _memory.Dequeue();
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
            _logSpillingAtStop(_logger, _memory.Count, null);
            MoveMemoryToSpill();
            Publish();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _spill.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Sees every item added, before the queue takes it (whatever happens to the queue after).</summary>
    protected virtual void OnAdding(IReadOnlyCollection<T> items)
    {
    }

    private void MoveMemoryToSpill()
    {
        _spill.Append(_memory);
        _memory.Clear();
        _generation++;
        _spilling = true;
    }

    private void Publish()
    {
        _names.Depth.Set(_memory.Count + _spill.Pending);
        _names.SpillBytes.Set(_spill.Length);
    }
}
