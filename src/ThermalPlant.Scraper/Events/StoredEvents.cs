using Npgsql;

namespace ThermalPlant.Scraper.Events;

/// <summary>
/// What the <c>events</c> table already holds of an endpoint, so that an event back-fill starts where storage ended.
/// The database is opened on first use only: with <c>Transport = Nats</c> no events are collected and the scraper has no
/// database.
/// </summary>
internal sealed class StoredEvents(Lazy<NpgsqlDataSource> dataSource)
{
    /// <summary>
    /// The newest stored event Time of <paramref name="endpoint"/> and the newest server ReceiveTime among its events of
    /// the <paramref name="lookback"/> before it; null when none is stored.
    /// </summary>
    public async Task<(DateTime Time, DateTime? Receive)?> NewestAsync(string endpoint, TimeSpan lookback, CancellationToken cancellationToken)
    {
        // The newest ReceiveTime among the events of the lookback before the newest Time: bounded by the time index.
        await using var command = dataSource.Value.CreateCommand("""
            WITH newest AS (SELECT max(time) AS time FROM events WHERE endpoint = $1)
            SELECT newest.time, (SELECT max(receive_time) FROM events WHERE endpoint = $1 AND time >= newest.time - $2) FROM newest
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = endpoint });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = lookback });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || await reader.IsDBNullAsync(0, cancellationToken)) return null;
        var time = DateTime.SpecifyKind(reader.GetDateTime(0), DateTimeKind.Utc);
        DateTime? receive = await reader.IsDBNullAsync(1, cancellationToken) ? null : DateTime.SpecifyKind(reader.GetDateTime(1), DateTimeKind.Utc);
        return (time, receive);
    }
}
