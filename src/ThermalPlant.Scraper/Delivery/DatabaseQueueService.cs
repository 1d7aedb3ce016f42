using System.Diagnostics;
using Npgsql;

namespace ThermalPlant.Scraper.Delivery;

/// <summary>What one batch write stored: rows that were new, and whether the batch had been partly stored before.</summary>
internal readonly record struct StoredBatch(long Inserted, bool Replayed);

/// <summary>
/// What the sample and the event storage services share: writing one <see cref="SpillQueue{T}"/>'s batches into the
/// database in order. A failed write is retried with backoff, taking the batch again from the queue (by then maybe from
/// the spill file); the sources never wait for it. A batch the database refuses as data is halved until the refused
/// items are isolated and handed to <see cref="Reject"/>, so one bad item never blocks those behind it. At a graceful
/// stop what waits in memory moves to the spill file. The subclass says how its items are counted and logged.
/// </summary>
/// <typeparam name="T">The item queued.</typeparam>
internal abstract class DatabaseQueueService<T>(SpillQueue<T> queue, DatabaseOptions database, TimeProvider time) : BackgroundService
{
    /// <summary>The clock of the waits and timers.</summary>
    protected TimeProvider Time { get; } = time;

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // What the writer did not store goes to disk; a crash skips this, and the back-fill covers that.
        queue.SpillMemory();
    }

    /// <summary>
    /// Writes batches of at most <paramref name="batchSize"/> items (waiting up to <paramref name="batchDelay"/> for one
    /// to fill) with <paramref name="write"/>, each within the database's write timeout, until cancelled.
    /// </summary>
    protected async Task WriteLoopAsync(int batchSize, TimeSpan batchDelay, Func<T[], CancellationToken, Task<StoredBatch>> write, CancellationToken cancellationToken)
    {
        var backoff = new Backoff(database.RetryMinDelay, database.RetryMaxDelay);
        string? outage = null;
        while (true)
        {
            var batch = await queue.TakeBatchAsync(batchSize, batchDelay, Time, cancellationToken);
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(database.WriteTimeout);
                var stored = await WriteOrRejectAsync(write, batch.Items.ToArray(), timeout.Token);
                queue.Commit(batch);
                var elapsed = Stopwatch.GetElapsedTime(started);
                if (outage is not null)
                {
                    OnWritingAgain(outage, queue.Depth);
                    outage = null;
                }
                OnWritten(batch.Items.Count, stored, elapsed);
                backoff.Reset();
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is NpgsqlException or TimeoutException or IOException or OperationCanceledException or System.Net.Sockets.SocketException)
            {
                var delay = backoff.Next();
                var problem = ex is OperationCanceledException ? $"no answer within {database.WriteTimeout.TotalSeconds} s" : ex.Message;
                OnWriteFailed(batch.Items.Count, problem, delay, firstOfOutage: outage is null);
                outage = problem;
                await Task.Delay(delay, Time, cancellationToken);
            }
        }
    }

    /// <summary>A batch of <paramref name="count"/> items is committed and left the queue.</summary>
    protected abstract void OnWritten(int count, StoredBatch stored, TimeSpan elapsed);

    /// <summary>A write failed (the batch stays queued and is tried again after <paramref name="delay"/>); <paramref name="firstOfOutage"/> when the one before it worked.</summary>
    protected abstract void OnWriteFailed(int count, string problem, TimeSpan delay, bool firstOfOutage);

    /// <summary>The first write after an outage (whose last problem was <paramref name="problem"/>) worked; <paramref name="depth"/> items wait.</summary>
    protected abstract void OnWritingAgain(string problem, long depth);

    /// <summary>The database refused <paramref name="item"/> as data; it is not stored, and the rest of its batch is.</summary>
    protected abstract void Reject(T item, PostgresException refusal);

    private async Task<StoredBatch> WriteOrRejectAsync(Func<T[], CancellationToken, Task<StoredBatch>> write, T[] items, CancellationToken cancellationToken)
    {
        try
        {
            return await write(items, cancellationToken);
        }
        // An SQL data exception, which no retry can fix.
        catch (PostgresException ex) when (ex.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            if (items.Length == 1)
            {
                Reject(items[0], ex);
                return new StoredBatch(0, false);
            }
            var half = items.Length / 2;
            var first = await WriteOrRejectAsync(write, items[..half], cancellationToken);
            var second = await WriteOrRejectAsync(write, items[half..], cancellationToken);
            return new StoredBatch(first.Inserted + second.Inserted, first.Replayed || second.Replayed);
        }
    }
}
