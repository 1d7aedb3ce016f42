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

    /// <summary>The newest stored event time of <paramref name="endpoint"/>, or null when none is stored.</summary>
    public async Task<DateTime?> NewestAsync(string endpoint, CancellationToken cancellationToken)
    {
        if (_published is not null) return _published.NewestEvent(endpoint);
        await using var command = _dataSource!.Value.CreateCommand("SELECT max(time) FROM events WHERE endpoint = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = endpoint });
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime newest ? DateTime.SpecifyKind(newest, DateTimeKind.Utc) : null;
    }
}
