using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server;

/// <summary>Applies a client's TimestampsToReturn to a value (Part 4, 7.40), for reads, notifications and history.</summary>
internal static class TimestampFilter
{
    /// <summary>
    /// Keeps the timestamps asked for; a server timestamp asked for and missing becomes <paramref name="serverNow"/>
    /// (null: left missing, as history does for values recorded without one).
    /// </summary>
    public static DataValue Apply(DataValue value, TimestampsToReturn timestamps, DateTime? serverNow) => timestamps switch
    {
        TimestampsToReturn.Source => value.ServerTimestamp is null && value.ServerPicoseconds == 0 ? value : value with { ServerTimestamp = null, ServerPicoseconds = 0 },
        TimestampsToReturn.Server => value with { SourceTimestamp = null, SourcePicoseconds = 0, ServerTimestamp = value.ServerTimestamp ?? serverNow },
        TimestampsToReturn.Neither => value with { SourceTimestamp = null, ServerTimestamp = null, SourcePicoseconds = 0, ServerPicoseconds = 0 },
        _ => value.ServerTimestamp is null && serverNow is not null ? value with { ServerTimestamp = serverNow } : value,
    };
}
