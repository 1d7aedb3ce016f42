using Npgsql;
using NpgsqlTypes;

namespace ThermalPlant.Storage.Schema;

/// <summary>
/// The plain path's partition function (db/0003), part of the schema module: the writer makes a day's partition on
/// demand and the maintainer makes them ahead, and neither depends on the other.
/// </summary>
internal static class PartitionCommands
{
    public static async Task<int> CreateAsync(NpgsqlDataSource dataSource, DateOnly first, DateOnly last, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT create_sensor_values_partitions($1, $2)");
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { NpgsqlDbType = NpgsqlDbType.Date, TypedValue = first });
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { NpgsqlDbType = NpgsqlDbType.Date, TypedValue = last });
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
