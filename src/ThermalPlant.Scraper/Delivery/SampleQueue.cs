using Microsoft.Extensions.Options;
using ThermalPlant.Storage.Writing;

namespace ThermalPlant.Scraper.Delivery;

/// <summary>A batch taken from the <see cref="SampleQueue"/>; hand it back to <see cref="SampleQueue.Commit"/> once stored.</summary>
internal sealed class SampleBatch
{
    public SampleBatch(List<Sample> samples, bool fromSpill, long generation, long spillEnd)
    {
        Samples = samples;
        FromSpill = fromSpill;
        Generation = generation;
        SpillEnd = spillEnd;
    }

    public List<Sample> Samples { get; }

    public bool FromSpill { get; }

    public long Generation { get; }

    public long SpillEnd { get; }
}

/// <summary>
/// Everything the sources produced that is not stored yet, in the order produced. Samples wait in memory up to
/// <see cref="StorageOptions.QueueCapacity"/>; when that bound is hit (the database is down or slow), everything
/// waiting moves to the <see cref="SpillFile"/> and new samples are appended there, until the writer has replayed
/// the file, in order, and memory takes over again. A batch stays queued until it is committed, so a sample is
/// never in neither place: at worst it is in both, and the writer stores it once. Adding never blocks a source.
/// </summary>
internal sealed partial class SampleQueue : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Queue<Sample> _memory = new();
    private readonly int _capacity;
    private readonly SpillFile _spill;
    private readonly ILogger _logger;
    private readonly LatestValues _latest;
    private TaskCompletionSource _added = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _generation;
    private bool _spilling;

    public SampleQueue(IOptions<ScraperOptions> options, IHostEnvironment environment, LatestValues latest, ILogger<SampleQueue> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        _latest = latest;
        var storage = options.Value.Storage;
        _capacity = storage.QueueCapacity;
        _logger = logger;
        var directory = Path.GetFullPath(storage.DataDirectory, environment.ContentRootPath);
        _spill = new SpillFile(directory);
        if (_spill.SetAside is { } aside) LogSetAside(_logger, directory, aside);
        _spilling = _spill.HasPending;
        if (_spilling) LogRecovered(_logger, _spill.PendingSamples, _spill.Length, directory);
        Publish();
    }

    /// <summary>Samples in memory.</summary>
    public int MemoryCount
    {
        get
        {
            lock (_lock) return _memory.Count;
        }
    }

    /// <summary>Samples waiting in memory and in the spill file.</summary>
    public long Depth
    {
        get
        {
            lock (_lock) return _memory.Count + _spill.PendingSamples;
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

    /// <summary>Queues <paramref name="samples"/> behind everything queued before; spills when memory is full.</summary>
    public void Add(IReadOnlyCollection<Sample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0) return;
        // The wide-row sink sees every value the sources produce, whatever happens to the queue after.
        _latest.Observe(samples);
        TaskCompletionSource added;
        lock (_lock)
        {
            if (!_spilling && _memory.Count + samples.Count > _capacity)
            {
                LogSpilling(_logger, _memory.Count, _capacity);
                MoveMemoryToSpill();
            }
            if (_spilling)
            {
                _spill.Append(samples);
            }
            else
            {
                foreach (var sample in samples) _memory.Enqueue(sample);
            }
            added = _added;
            _added = new(TaskCreationOptions.RunContinuationsAsynchronously);
            Publish();
        }
        added.TrySetResult();
    }

    /// <summary>
    /// Waits until a batch is worth writing: <paramref name="batchSize"/> samples, samples in the spill file, or the
    /// oldest waiting sample has waited <paramref name="maxDelay"/>.
    /// </summary>
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

    /// <summary>The oldest waiting samples, at most <paramref name="max"/>; null when nothing waits. They stay queued until committed.</summary>
    public SampleBatch? Take(int max)
    {
        lock (_lock)
        {
            if (_spilling)
            {
                var fromFile = new List<Sample>(Math.Min(max, 65_536));
                var end = _spill.Read(fromFile, max);
                return fromFile.Count == 0 && end == _spill.ReadPosition ? null : new SampleBatch(fromFile, true, _generation, end);
            }
            if (_memory.Count == 0) return null;
            var samples = new List<Sample>(Math.Min(max, _memory.Count));
            foreach (var sample in _memory)
            {
                if (samples.Count == max) break;
                samples.Add(sample);
            }
            return new SampleBatch(samples, false, _generation, 0);
        }
    }

    /// <summary>Removes a stored batch from the queue.</summary>
    public void Commit(SampleBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (_lock)
        {
            if (batch.FromSpill)
            {
                _spill.Commit(batch.SpillEnd, batch.Samples.Count);
                if (!_spill.HasPending && _spill.Length == 0)
                {
                    _spilling = false;
                    LogSpillReplayed(_logger);
                }
            }
            else if (batch.Generation == _generation)
            {
                // Still the head of memory: only the writer removes samples, and nothing moved them to the spill file.
                for (var i = 0; i < batch.Samples.Count; i++) _memory.Dequeue();
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
        ScraperMetrics.QueueDepth.Set(_memory.Count + _spill.PendingSamples);
        ScraperMetrics.SpillBytes.Set(_spill.Length);
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Warning, Message = "The in-memory queue is full ({Count} of {Capacity} samples): the database is down or slow. Spilling to the spill file; it is replayed in order when the database takes writes again")]
    private static partial void LogSpilling(ILogger logger, int count, int capacity);

    [LoggerMessage(EventId = 601, Level = LogLevel.Information, Message = "The spill file is replayed into the database and deleted; samples queue in memory again")]
    private static partial void LogSpillReplayed(ILogger logger);

    [LoggerMessage(EventId = 602, Level = LogLevel.Information, Message = "Stopping: {Count} samples not yet stored move to the spill file; the next start stores them")]
    private static partial void LogSpillingAtStop(ILogger logger, int count);

    [LoggerMessage(EventId = 603, Level = LogLevel.Warning, Message = "A previous run left {Count} samples ({Bytes} bytes) in the spill file in {Directory}; they are replayed into the database first")]
    private static partial void LogRecovered(ILogger logger, long count, long bytes, string directory);

    [LoggerMessage(EventId = 604, Level = LogLevel.Warning, Message = "The spill file in {Directory} is not in this build's format (another version wrote it); it is kept as {Path} and none of it is replayed: the version that wrote it can replay it")]
    private static partial void LogSetAside(ILogger logger, string directory, string path);
}
