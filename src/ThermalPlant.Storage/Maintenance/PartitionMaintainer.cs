using Dapper;
using Npgsql;
using ThermalPlant.Storage.Schema;

namespace ThermalPlant.Storage.Maintenance;

/// <summary>Options of <see cref="PartitionMaintainer"/>.</summary>
public sealed class PartitionMaintainerOptions
{
    /// <summary>Raw samples older than this are dropped, a whole day at a time (TimescaleDB's policy default: 7 days).</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Rollup buckets (<c>rolling_avg_sensor_data_5s</c>, <c>rolling_count_sensor_data_5s</c>, <c>rolling_avg_sensor_data1m</c>)
    /// older than this are deleted; at least <see cref="Retention"/>, so that trends outlive the raw samples.
    /// </summary>
    public TimeSpan AggregateRetention { get; init; } = TimeSpan.FromDays(90);

    /// <summary>Daily partitions made ahead of today, so that no write waits for one.</summary>
    public int DaysAhead { get; init; } = 3;

    /// <summary>How often <see cref="PartitionMaintainer.RunAsync"/> runs its steps.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromHours(1);
}

/// <summary>Rollup buckets one <see cref="PartitionMaintainer.ApplyAggregateRetentionAsync"/> deleted from one rollup.</summary>
/// <param name="Relation">The rollup table.</param>
/// <param name="BucketsDeleted">Rows deleted (one per tag and bucket).</param>
public sealed record RollupPurge(string Relation, long BucketsDeleted);

/// <summary>
/// On the plain path, creates the daily partitions of <c>sensor_values</c> ahead of time, drops those past
/// retention, and deletes rollup buckets past the (longer) aggregate retention. On the TimescaleDB path the
/// hypertable makes its chunks and the retention policy drops them, so these steps have nothing to do there.
/// </summary>
public sealed class PartitionMaintainer
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly StoragePath _path;
    private readonly PartitionMaintainerOptions _options;
    private readonly TimeProvider _time;

    /// <summary>A maintainer for a database migrated to <paramref name="path"/>.</summary>
    public PartitionMaintainer(NpgsqlDataSource dataSource, StoragePath path, PartitionMaintainerOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
        _path = path;
        _options = options ?? new PartitionMaintainerOptions();
        if (_options.Retention <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "Retention must be positive.");
        if (_options.AggregateRetention < _options.Retention)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "AggregateRetention must not be shorter than Retention: the rollups are what remains of old data.");
        }
        if (_options.DaysAhead < 0) throw new ArgumentOutOfRangeException(nameof(options), "DaysAhead must not be negative.");
        if (_options.Interval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "Interval must be positive.");
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Creates the partitions from today to <see cref="PartitionMaintainerOptions.DaysAhead"/> days ahead that are missing; returns how many.</summary>
    public async Task<int> CreateAheadAsync(CancellationToken cancellationToken)
    {
        if (_path != StoragePath.Plain) return 0;
        var today = DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime);
        return await PartitionCommands.CreateAsync(_dataSource, today, today.AddDays(_options.DaysAhead), cancellationToken);
    }

    /// <summary>Drops the partitions whose whole day is older than the retention; returns their names.</summary>
    public async Task<IReadOnlyList<string>> ApplyRetentionAsync(CancellationToken cancellationToken)
    {
        if (_path != StoragePath.Plain) return [];
        var cutoff = _time.GetUtcNow().UtcDateTime - _options.Retention;
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var dropped = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT drop_sensor_values_partitions(@cutoff)", new { cutoff }, cancellationToken: cancellationToken));
        return dropped.ToList();
    }

    /// <summary>Deletes the rollup buckets that end before the aggregate retention; returns what each rollup lost.</summary>
    public async Task<IReadOnlyList<RollupPurge>> ApplyAggregateRetentionAsync(CancellationToken cancellationToken)
    {
        if (_path != StoragePath.Plain) return [];
        var cutoff = _time.GetUtcNow().UtcDateTime - _options.AggregateRetention;
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var purged = await connection.QueryAsync<RollupPurge>(new CommandDefinition(
            "SELECT rollup AS relation, deleted AS bucketsdeleted FROM delete_rollup_buckets(@cutoff)", new { cutoff }, cancellationToken: cancellationToken));
        return purged.ToList();
    }

    /// <summary>Every step now and then every <see cref="PartitionMaintainerOptions.Interval"/>, until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.Interval, _time);
        do
        {
            await CreateAheadAsync(cancellationToken);
            await ApplyRetentionAsync(cancellationToken);
            await ApplyAggregateRetentionAsync(cancellationToken);
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }
}
