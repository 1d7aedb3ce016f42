using Dapper;
using Npgsql;
using ThermalPlant.Storage.Schema;

namespace ThermalPlant.Storage.Maintenance;

/// <summary>One refresh of one rollup.</summary>
/// <param name="Relation">The rollup table.</param>
/// <param name="BucketsWritten">Buckets inserted or recomputed.</param>
public sealed record RollupRefresh(string Relation, long BucketsWritten);

/// <summary>
/// On the plain path, keeps the rollup tables (<c>rolling_avg_sensor_data_5s</c>, <c>rolling_count_sensor_data_5s</c>,
/// <c>rolling_avg_sensor_data1m</c>) current the way TimescaleDB's refresh policies keep its continuous aggregates:
/// each on its own schedule, up to its end offset before now, from its last refreshed point (or from the oldest
/// late row the writer marked). On the TimescaleDB path the policies do this, so there is nothing to refresh.
/// </summary>
public sealed class RollupMaintainer
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly StoragePath _path;
    private readonly TimeProvider _time;

    /// <summary>A maintainer for a database migrated to <paramref name="path"/>.</summary>
    public RollupMaintainer(NpgsqlDataSource dataSource, StoragePath path, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
        _path = path;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Refreshes every rollup whose schedule has come round (or that never ran).</summary>
    public async Task<IReadOnlyList<RollupRefresh>> RefreshDueAsync(CancellationToken cancellationToken)
    {
        if (_path != StoragePath.Plain) return [];
        var now = _time.GetUtcNow().UtcDateTime;
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var due = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT relation FROM rollup_state WHERE last_run IS NULL OR last_run + schedule_interval <= @now ORDER BY relation",
            new { now }, cancellationToken: cancellationToken));
        var refreshes = new List<RollupRefresh>();
        foreach (var relation in due)
        {
            refreshes.Add(await RefreshAsync(connection, relation, now, cancellationToken));
        }
        return refreshes;
    }

    /// <summary>Refreshes every rollup now, whatever its schedule.</summary>
    public async Task<IReadOnlyList<RollupRefresh>> RefreshAllAsync(CancellationToken cancellationToken)
    {
        if (_path != StoragePath.Plain) return [];
        var now = _time.GetUtcNow().UtcDateTime;
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var all = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT relation FROM rollup_state ORDER BY relation", cancellationToken: cancellationToken));
        var refreshes = new List<RollupRefresh>();
        foreach (var relation in all)
        {
            refreshes.Add(await RefreshAsync(connection, relation, now, cancellationToken));
        }
        return refreshes;
    }

    /// <summary>Refreshes the due rollups every <paramref name="tick"/> until cancelled; 5 s, the smallest schedule, suits the defaults.</summary>
    public async Task RunAsync(TimeSpan tick, CancellationToken cancellationToken)
    {
        if (_path != StoragePath.Plain) return;
        using var timer = new PeriodicTimer(tick, _time);
        do
        {
            await RefreshDueAsync(cancellationToken);
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    private static async Task<RollupRefresh> RefreshAsync(NpgsqlConnection connection, string relation, DateTime now, CancellationToken cancellationToken)
    {
        // Each call is its own transaction, so one rollup's refresh never holds another's lock.
        var written = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT refresh_rollup(@relation, @now)", new { relation, now }, cancellationToken: cancellationToken));
        return new RollupRefresh(relation, written);
    }
}
