using Dapper;
using Npgsql;
using ThermalPlant.Storage.Schema;

namespace ThermalPlant.Storage.Events;

/// <summary>
/// Keeps the <c>events</c> table to its retention. On TimescaleDB the database drops whole chunks (weekly) past a
/// retention policy, which migration 11 adds at 90 days and <see cref="ApplyPolicyAsync"/> sets to the configured age;
/// on plain PostgreSQL <see cref="DeleteExpiredAsync"/> deletes the rows older than it, a bounded batch per statement so
/// that no long lock holds back the writer.
/// </summary>
public sealed class EventRetention
{
    /// <summary>The transaction advisory lock that serializes the policy's check and replacement ("TPMSEV01" as ASCII).</summary>
    public const long PolicyLockKey = 0x54504D5345563031;

    /// <summary>Most rows one DELETE removes.</summary>
    public const int DeleteBatch = 10_000;

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeSpan _retention;
    private readonly TimeProvider _time;

    /// <summary>Retention of <paramref name="retention"/> (at least one hour) for the events of <paramref name="dataSource"/>.</summary>
    public EventRetention(NpgsqlDataSource dataSource, TimeSpan retention, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(retention, TimeSpan.FromHours(1));
        _dataSource = dataSource;
        _retention = retention;
        _time = time;
    }

    /// <summary>
    /// On the TimescaleDB path, makes the table's retention policy drop chunks older than the retention (replacing a
    /// policy of another age); returns the age the policy had before, or null when it already had this one or on the
    /// plain path, which has none.
    /// </summary>
    public async Task<TimeSpan?> ApplyPolicyAsync(StoragePath path, CancellationToken cancellationToken)
    {
        if (path != StoragePath.TimescaleDb) return null;
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Several services may keep one database (writer instances, scrapers): the lock makes the next one read the
        // policy the first committed, instead of both replacing it at once.
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@key)", new { key = PolicyLockKey }, transaction, cancellationToken: cancellationToken));
        var current = await connection.QuerySingleOrDefaultAsync<TimeSpan?>(new CommandDefinition(
            """
            SELECT (config->>'drop_after')::interval FROM timescaledb_information.jobs
            WHERE proc_name = 'policy_retention' AND hypertable_name = 'events'
            """, transaction: transaction, cancellationToken: cancellationToken));
        if (current == _retention) return null;
        await connection.ExecuteAsync(new CommandDefinition(
            "SELECT remove_retention_policy('events', if_exists => true); SELECT add_retention_policy('events', drop_after => @retention)",
            new { retention = _retention }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return current ?? TimeSpan.Zero;
    }

    /// <summary>On the plain path, deletes the events whose time is older than the retention; returns how many.</summary>
    public async Task<long> DeleteExpiredAsync(StoragePath path, CancellationToken cancellationToken)
    {
        if (path != StoragePath.Plain) return 0;
        var cutoff = _time.GetUtcNow().UtcDateTime - _retention;
        long deleted = 0;
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        while (true)
        {
            // The time index finds the oldest rows; each statement is one short transaction of its own.
            var rows = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM events WHERE ctid IN (SELECT ctid FROM events WHERE time < @cutoff LIMIT @batch)",
                new { cutoff, batch = DeleteBatch }, cancellationToken: cancellationToken));
            deleted += rows;
            if (rows < DeleteBatch) return deleted;
        }
    }
}
