using Npgsql;
using NpgsqlTypes;

namespace ThermalPlant.Storage.Maintenance;

/// <summary>The plain path's partition functions (db/0003), called by the writer and the maintainer.</summary>
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
