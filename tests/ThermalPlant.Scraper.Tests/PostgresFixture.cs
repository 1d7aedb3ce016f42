using Dapper;
using Npgsql;
using ThermalPlant.Testing;

namespace ThermalPlant.Scraper.Tests;

/// <summary>One PostgreSQL cluster for every scraper test; each test gets its own database.</summary>
public sealed class PostgresFixture : PostgresClusterFixture;

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}

/// <summary>What the scraper stored, read back with plain SQL through the seed's view.</summary>
internal static class Stored
{
    public static async Task<Dictionary<string, (string Sensor, string Tag, long Rows, long Distinct, DateTime? First)>> PerNodeAsync(string connectionString, string endpoint)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        if (!await connection.ExecuteScalarAsync<bool>("SELECT to_regclass('sensor_values') IS NOT NULL")) return [];
        var rows = await connection.QueryAsync<(string NodeId, string Sensor, string Tag, long Rows, long Distinct, DateTime? First)>("""
            SELECT t.nodeid, t.sensorname, t.tagname, count(v.time), count(DISTINCT v.time), min(v.time)
            FROM tags t LEFT JOIN sensor_values v ON v.tag_id = t.id
            WHERE t.endpoint = @endpoint
            GROUP BY t.nodeid, t.sensorname, t.tagname
            """, new { endpoint });
        return rows.ToDictionary(r => r.NodeId, r => (r.Sensor, r.Tag, r.Rows, r.Distinct, r.First.HasValue ? DateTime.SpecifyKind(r.First.Value, DateTimeKind.Utc) : (DateTime?)null), StringComparer.Ordinal);
    }

    public static async Task<long> CountAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        // The scraper migrates the schema in the background; until then nothing is stored.
        if (!await connection.ExecuteScalarAsync<bool>("SELECT to_regclass('sensor_values') IS NOT NULL")) return 0;
        return await connection.ExecuteScalarAsync<long>(sql);
    }

    /// <summary>Waits until <paramref name="done"/> holds, or fails with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> done, TimeSpan timeout, Func<Task<string>> what)
    {
        var until = DateTime.UtcNow + timeout;
        while (!await SchemaReadyAnd(done))
        {
            if (DateTime.UtcNow > until) Assert.Fail(await what());
            await Task.Delay(200);
        }
    }

    /// <summary>The condition, false while the scraper has not created the schema yet (its tables do not exist).</summary>
    private static async Task<bool> SchemaReadyAnd(Func<Task<bool>> done)
    {
        try
        {
            return await done();
        }
        catch (Npgsql.PostgresException ex) when (ex.SqlState == Npgsql.PostgresErrorCodes.UndefinedTable)
        {
            return false;
        }
    }
}
