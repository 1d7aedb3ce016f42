using System.Buffers;
using Npgsql;
using NpgsqlTypes;
using ThermalPlant.Storage.Schema;

namespace ThermalPlant.Storage.Writing;

/// <summary>The outcome of one <see cref="SampleWriter.WriteAsync"/>.</summary>
/// <param name="Samples">Samples in the batch.</param>
/// <param name="Inserted">Rows that were new; fewer than <paramref name="Samples"/> when some were stored before.</param>
/// <param name="Replayed">The batch (or part of it) was stored before, so it went through the idempotent path.</param>
public readonly record struct WriteResult(int Samples, long Inserted, bool Replayed);

/// <summary>
/// Stores batches of samples with binary COPY, one transaction per batch, each (tag, timestamp) once.
/// Idempotency is not paid on every batch: COPY goes straight into <c>sensor_values</c>, and only when that fails
/// with a unique violation (a batch written again after an outage) is the batch copied into a temporary staging
/// table and inserted with ON CONFLICT DO NOTHING, which costs roughly twice as much. Safe for concurrent use.
/// </summary>
public sealed class SampleWriter
{
    /// <summary>
    /// The batch size the ingest benchmark (bench/run) measures: one second of the design rate (10,000 variables at 1 Hz).
    /// </summary>
    public const int RecommendedBatchSize = 10_000;

    private const string CopyTarget = "COPY sensor_values (time, tag_id, value, status) FROM STDIN (FORMAT BINARY)";
    private const string CopyStaging = "COPY sensor_values_staging (time, tag_id, value, status) FROM STDIN (FORMAT BINARY)";

    // ON COMMIT DELETE ROWS empties it after every use. It lasts only until the pool hands the connection out again
    // (Npgsql's reset is DISCARD ALL, which drops temp tables), so each replayed batch usually creates it afresh:
    // a few catalog rows, small next to the batch, and the ingest benchmark's --replay measures that path whole.
    private const string CreateStaging =
        "CREATE TEMP TABLE IF NOT EXISTS sensor_values_staging (time timestamptz, tag_id integer, value double precision, status integer) ON COMMIT DELETE ROWS";

    private const string InsertFromStaging = """
        INSERT INTO sensor_values (time, tag_id, value, status)
        SELECT time, tag_id, value, status FROM sensor_values_staging
        ON CONFLICT (tag_id, time) DO NOTHING
        """;

    // Appended for every rollup, whatever it has covered: a refresh running now may cover these rows' time without
    // seeing them (they are not committed yet), and the entry makes the next refresh recompute it. An append waits
    // for no refresh (db/0007).
    private const string Invalidate = """
        INSERT INTO rollup_invalidations (relation, invalidated_from) SELECT relation, @oldest FROM rollup_state
        """;

    // Longer than a batch's commit takes; rows newer than (now - smallest end offset + this) cannot be below any refresh window yet.
    private static readonly TimeSpan InvalidationMargin = TimeSpan.FromSeconds(1);

    private readonly NpgsqlDataSource _dataSource;
    private readonly StoragePath _path;
    private readonly TagResolver _tags;
    private readonly TimeProvider _time;
    private readonly HashSet<DateOnly> _partitions = [];
    private readonly Lock _partitionsLock = new();
    private TimeSpan? _smallestEndOffset;

    /// <summary>A writer for a database migrated to <paramref name="path"/>.</summary>
    public SampleWriter(NpgsqlDataSource dataSource, StoragePath path, TagResolver? tags = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
        _path = path;
        _tags = tags ?? new TagResolver(dataSource);
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The tag resolver the writer uses.</summary>
    public TagResolver Tags => _tags;

    /// <summary>Stores <paramref name="samples"/> in one transaction; writing the same samples again stores nothing twice.</summary>
    /// <exception cref="ArgumentException">A sample has no tag or a timestamp that is not UTC.</exception>
    public async Task<WriteResult> WriteAsync(ReadOnlyMemory<Sample> samples, CancellationToken cancellationToken)
    {
        if (samples.IsEmpty) return new WriteResult(0, 0, false);
        var (oldest, newest) = Range(samples.Span);
        var ids = ArrayPool<int>.Shared.Rent(samples.Length);
        try
        {
            await _tags.ResolveAsync(samples, ids, cancellationToken);
            if (_path == StoragePath.Plain) await EnsurePartitionsAsync(oldest, newest, cancellationToken);
            try
            {
                return await WriteOnceAsync(samples, ids, oldest, cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.CheckViolation && _path == StoragePath.Plain)
            {
                // No partition for a row: retention dropped a day this writer had seen. Forget what it knew and retry once.
                lock (_partitionsLock) _partitions.Clear();
                await EnsurePartitionsAsync(oldest, newest, cancellationToken);
                return await WriteOnceAsync(samples, ids, oldest, cancellationToken);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(ids);
        }
    }

    private async Task<WriteResult> WriteOnceAsync(ReadOnlyMemory<Sample> samples, int[] ids, DateTime oldest, CancellationToken cancellationToken)
    {
        try
        {
            return await WriteDirectAsync(samples, ids, oldest, cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return await WriteIdempotentAsync(samples, ids, oldest, cancellationToken);
        }
    }

    private async Task<WriteResult> WriteDirectAsync(ReadOnlyMemory<Sample> samples, int[] ids, DateTime oldest, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var copied = await CopyAsync(connection, CopyTarget, samples, ids, cancellationToken);
        await InvalidateRollupsAsync(connection, transaction, oldest, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new WriteResult(samples.Length, (long)copied, false);
    }

    private async Task<WriteResult> WriteIdempotentAsync(ReadOnlyMemory<Sample> samples, int[] ids, DateTime oldest, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var create = new NpgsqlCommand(CreateStaging, connection, transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        await CopyAsync(connection, CopyStaging, samples, ids, cancellationToken);
        long inserted;
        await using (var insert = new NpgsqlCommand(InsertFromStaging, connection, transaction))
        {
            inserted = await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        if (inserted > 0) await InvalidateRollupsAsync(connection, transaction, oldest, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new WriteResult(samples.Length, inserted, true);
    }

    private static async Task<ulong> CopyAsync(NpgsqlConnection connection, string copy, ReadOnlyMemory<Sample> samples, int[] ids, CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync(copy, cancellationToken);
        WriteRows(importer, samples.Span, ids, cancellationToken);
        return await importer.CompleteAsync(cancellationToken);
    }

    // Synchronous on purpose: a column written to the importer's buffer completes at once, and the async overloads
    // cost a state machine and a cancellation check per value (17 % of the client's CPU in the ingest benchmark).
    // Only a full buffer (every few hundred rows) goes to the socket, blocking this thread while the server is slow
    // to read; the importer's Timeout (the connection's command timeout) bounds that wait as it bounds an async one.
    private static void WriteRows(NpgsqlBinaryImporter importer, ReadOnlySpan<Sample> samples, int[] ids, CancellationToken cancellationToken)
    {
        for (var i = 0; i < samples.Length; i++)
        {
            // A large batch still stops soon after its caller gives up; disposing the importer then cancels the COPY.
            if ((i & 1023) == 0) cancellationToken.ThrowIfCancellationRequested();
            ref readonly var sample = ref samples[i];
            importer.StartRow();
            importer.Write(sample.Timestamp, NpgsqlDbType.TimestampTz);
            importer.Write(ids[i], NpgsqlDbType.Integer);
            if (double.IsNaN(sample.Value))
            {
                importer.WriteNull();
            }
            else
            {
                importer.Write(sample.Value, NpgsqlDbType.Double);
            }
            importer.Write(unchecked((int)sample.StatusCode), NpgsqlDbType.Integer);
        }
    }

    /// <summary>
    /// On the plain path, logs that the rollups must be recomputed from <paramref name="oldest"/> when the batch reaches
    /// below what a refresh may already have covered. Fresh batches skip this, so the hot path stays one COPY.
    /// TimescaleDB keeps its own invalidation log.
    /// </summary>
    private async Task InvalidateRollupsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, DateTime oldest, CancellationToken cancellationToken)
    {
        if (_path != StoragePath.Plain) return;
        _smallestEndOffset ??= await ReadSmallestEndOffsetAsync(connection, transaction, cancellationToken);
        if (oldest >= _time.GetUtcNow().UtcDateTime - _smallestEndOffset.Value + InvalidationMargin) return;
        await using var command = new NpgsqlCommand(Invalidate, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<DateTime>("oldest", NpgsqlDbType.TimestampTz) { TypedValue = oldest });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<TimeSpan> ReadSmallestEndOffsetAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT coalesce(min(end_offset), interval '0') FROM rollup_state", connection, transaction);
        return (TimeSpan)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task EnsurePartitionsAsync(DateTime oldest, DateTime newest, CancellationToken cancellationToken)
    {
        var first = DateOnly.FromDateTime(oldest);
        var last = DateOnly.FromDateTime(newest);
        lock (_partitionsLock)
        {
            var missing = false;
            for (var day = first; day <= last && !missing; day = day.AddDays(1)) missing = !_partitions.Contains(day);
            if (!missing) return;
        }
        await PartitionCommands.CreateAsync(_dataSource, first, last, cancellationToken);
        lock (_partitionsLock)
        {
            for (var day = first; day <= last; day = day.AddDays(1)) _partitions.Add(day);
        }
    }

    private static (DateTime Oldest, DateTime Newest) Range(ReadOnlySpan<Sample> samples)
    {
        var oldest = DateTime.MaxValue;
        var newest = DateTime.MinValue;
        for (var i = 0; i < samples.Length; i++)
        {
            var timestamp = samples[i].Timestamp;
            if (timestamp.Kind != DateTimeKind.Utc)
            {
                throw new ArgumentException($"Sample {i} has a {timestamp.Kind} timestamp; samples carry UTC source timestamps.", nameof(samples));
            }
            if (timestamp < oldest) oldest = timestamp;
            if (timestamp > newest) newest = timestamp;
        }
        return (oldest, newest);
    }
}
