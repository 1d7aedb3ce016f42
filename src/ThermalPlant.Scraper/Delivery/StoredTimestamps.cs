using Dapper;
using Npgsql;
using ThermalPlant.Scraper.Transport;

namespace ThermalPlant.Scraper.Delivery;

/// <summary>What the database already holds, so that a back-fill starts where storage ended.</summary>
internal sealed class StoredTimestamps(NpgsqlDataSource dataSource) : IStoredTimestamps
{
    // One index probe per tag on (tag_id, time) instead of a scan of every row of the endpoint.
    private const string LastPerNode = """
        SELECT t.nodeid AS NodeId, (SELECT max(v.time) FROM sensor_values v WHERE v.tag_id = t.id) AS Last
        FROM tags t
        WHERE t.endpoint = @endpoint
        """;

    /// <summary>The newest stored timestamp of each node id of <paramref name="endpoint"/> that has samples.</summary>
    public async Task<IReadOnlyDictionary<string, DateTime>> LastPerNodeAsync(string endpoint, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string NodeId, DateTime? Last)>(new CommandDefinition(LastPerNode, new { endpoint }, cancellationToken: cancellationToken));
        var result = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        foreach (var (nodeId, last) in rows)
        {
            if (last is { } stamp) result[nodeId] = DateTime.SpecifyKind(stamp, DateTimeKind.Utc);
        }
        return result;
    }
}
