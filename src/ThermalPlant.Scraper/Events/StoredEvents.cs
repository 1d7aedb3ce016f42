using Npgsql;
using ThermalPlant.Scraper.Transport;

namespace ThermalPlant.Scraper.Events;

/// <summary>
/// What storage already holds of an endpoint's events, so that an event back-fill starts where storage ended: the
/// <c>events</c> table (opened on first use only), or with <c>Transport = Nats</c>, which has no database, the newest
/// event JetStream acknowledged.
/// </summary>
internal sealed class StoredEvents
{
    private readonly Lazy<NpgsqlDataSource>? _dataSource;
    private readonly PublishedTimestamps? _published;

    /// <summary>Reads the <c>events</c> table.</summary>
    public StoredEvents(Lazy<NpgsqlDataSource> dataSource) => _dataSource = dataSource;

    /// <summary>Reads what JetStream acknowledged.</summary>
    public StoredEvents(PublishedTimestamps published) => _published = published;

    /// <summary>
    /// The newest stored event Time of <paramref name="endpoint"/> and the newest server ReceiveTime among its events of
    /// the <paramref name="lookback"/> before it (unknown for what JetStream acknowledged); null when none is stored.
    /// </summary>
    public async Task<(DateTime Time, DateTime? Receive)?> NewestAsync(string endpoint, TimeSpan lookback, CancellationToken cancellationToken)
    {
        if (_published is not null) return _published.NewestEvent(endpoint) is { } acknowledged ? (acknowledged, null) : null;
        // The newest ReceiveTime among the events of the lookback before the newest Time: bounded by the time index.
        await using var command = _dataSource!.Value.CreateCommand("""
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
