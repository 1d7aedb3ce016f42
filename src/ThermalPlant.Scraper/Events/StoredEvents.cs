using Npgsql;

namespace ThermalPlant.Scraper.Events;

/// <summary>
/// What the <c>events</c> table already holds of an endpoint, so that an event back-fill starts where storage ended.
/// The database is opened on first use only: with <c>Transport = Nats</c> no events are collected and the scraper has no
/// database.
/// </summary>
internal sealed class StoredEvents(Lazy<NpgsqlDataSource> dataSource)
{
    /// <summary>The newest stored event time of <paramref name="endpoint"/>, or null when none is stored.</summary>
    public async Task<DateTime?> NewestAsync(string endpoint, CancellationToken cancellationToken)
    {
        await using var command = dataSource.Value.CreateCommand("SELECT max(time) FROM events WHERE endpoint = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = endpoint });
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime newest ? DateTime.SpecifyKind(newest, DateTimeKind.Utc) : null;
    }
}
