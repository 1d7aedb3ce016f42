using Npgsql;
using NpgsqlTypes;

namespace ThermalPlant.Storage.Events;

/// <summary>
/// Stores batches of events in the <c>events</c> table, one statement per batch, each (endpoint, event id, time) once:
/// a batch written again (after an outage, or a live event that a history back-fill reads too) inserts only what is new.
/// Events are few next to samples, so one INSERT of arrays with ON CONFLICT DO NOTHING serves every batch; the same on
/// both schema paths. Safe for concurrent use.
/// </summary>
public sealed class EventWriter(NpgsqlDataSource dataSource)
{
    private const string Insert = """
        INSERT INTO events (time, receive_time, endpoint, event_id, event_type, source_node, source_name, severity, message,
                            condition_id, active, acked, confirmed, retain, comment)
        SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
        ON CONFLICT (endpoint, event_id, time) DO NOTHING
        """;

    private readonly NpgsqlDataSource _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));

    /// <summary>Stores <paramref name="events"/> in one transaction; returns how many rows were new.</summary>
    /// <exception cref="ArgumentException">An event's time or receive time is not UTC.</exception>
    public async Task<long> WriteAsync(IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0) return 0;
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i].Time.Kind != DateTimeKind.Utc || events[i].ReceiveTime.Kind != DateTimeKind.Utc)
            {
                throw new ArgumentException($"Event {i} has a time that is not UTC; events carry UTC times.", nameof(events));
            }
        }
        await using var command = _dataSource.CreateCommand(Insert);
        Add(command, NpgsqlDbType.TimestampTz, events.Select(e => e.Time).ToArray());
        Add(command, NpgsqlDbType.TimestampTz, events.Select(e => e.ReceiveTime).ToArray());
        Add(command, NpgsqlDbType.Text, events.Select(e => e.Endpoint).ToArray());
        Add(command, NpgsqlDbType.Bytea, events.Select(e => e.EventId).ToArray());
        Add(command, NpgsqlDbType.Text, events.Select(e => e.EventType).ToArray());
        Add(command, NpgsqlDbType.Text, events.Select(e => e.SourceNode).ToArray());
        Add(command, NpgsqlDbType.Text, events.Select(e => e.SourceName).ToArray());
        Add(command, NpgsqlDbType.Integer, events.Select(e => e.Severity).ToArray());
        Add(command, NpgsqlDbType.Text, events.Select(e => e.Message).ToArray());
        Add(command, NpgsqlDbType.Text, events.Select(e => e.ConditionId).ToArray());
        Add(command, NpgsqlDbType.Boolean, events.Select(e => e.Active).ToArray());
        Add(command, NpgsqlDbType.Boolean, events.Select(e => e.Acked).ToArray());
        Add(command, NpgsqlDbType.Boolean, events.Select(e => e.Confirmed).ToArray());
        Add(command, NpgsqlDbType.Boolean, events.Select(e => e.Retain).ToArray());
        Add(command, NpgsqlDbType.Text, events.Select(e => e.Comment).ToArray());
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void Add<T>(NpgsqlCommand command, NpgsqlDbType type, T[] values) =>
        command.Parameters.Add(new NpgsqlParameter<T[]> { NpgsqlDbType = type | NpgsqlDbType.Array, TypedValue = values });
}
