using Dapper;
using Npgsql;

namespace ThermalPlant.Scraper.Tests;

/// <summary>Exact comparisons between what a server produced and what the scraper stored.</summary>
internal static class Expect
{
    /// <summary>
    /// Waits until every variable of <paramref name="plant"/> is stored exactly as produced from its first stored
    /// value on: every produced source timestamp once, nothing else.
    /// </summary>
    public static async Task EveryValueStoredOnceAsync(PlantServer plant, string connectionString, TimeSpan timeout)
    {
        var expected = new Dictionary<string, List<DateTime>>(StringComparer.Ordinal);
        foreach (var (node, stamps) in plant.Produced)
        {
            var elements = PlantServer.Numeric.Single(n => node.EndsWith("Plant." + n.Path.Replace('/', '.'), StringComparison.Ordinal)).Elements;
            if (elements == 0) expected[node] = stamps;
            for (var i = 0; i < elements; i++) expected[$"{node}[{i}]"] = stamps;
        }
        string report = "";
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var stored = await StoredTimesAsync(connectionString, plant.Url);
            var problems = new List<string>();
            foreach (var (node, stamps) in expected)
            {
                if (!stored.TryGetValue(node, out var times) || times.Count == 0)
                {
                    problems.Add($"{node}: nothing stored");
                    continue;
                }
                var first = times.Min();
                var want = stamps.Where(s => s >= first).ToHashSet();
                var missing = want.Where(s => !times.Contains(s)).Order().ToList();
                var extra = times.Count(t => !want.Contains(t));
                if (missing.Count > 0 || extra > 0)
                {
                    problems.Add($"{node}: {times.Count} stored, {want.Count} produced since the first stored ({first:HH:mm:ss.fff}), {missing.Count} missing"
                        + $"{(missing.Count > 0 ? $" (from {string.Join(", ", missing.Take(5).Select(m => m.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture)))})" : "")}, {extra} not produced");
                }
            }
            if (problems.Count == 0) return;
            report = string.Join(Environment.NewLine, problems);
            if (DateTime.UtcNow > until) Assert.Fail("Not every produced value is stored exactly once:" + Environment.NewLine + report);
            await Task.Delay(250);
        }
    }

    /// <summary>Every stored row of <paramref name="plant"/>'s variables is a value it produced, at its source timestamp.</summary>
    public static async Task OnlyProducedValuesStoredAsync(PlantServer plant, string connectionString)
    {
        var stored = await StoredTimesAsync(connectionString, plant.Url);
        foreach (var (node, times) in stored)
        {
            var parent = node.EndsWith(']') ? node[..node.LastIndexOf('[')] : node;
            var produced = plant.Produced[parent].ToHashSet();
            Assert.All(times, t => Assert.Contains(t, produced));
        }
    }

    private static async Task<Dictionary<string, HashSet<DateTime>>> StoredTimesAsync(string connectionString, string endpoint)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var result = new Dictionary<string, HashSet<DateTime>>(StringComparer.Ordinal);
        // The scraper migrates the schema in the background; until then nothing is stored.
        if (!await connection.ExecuteScalarAsync<bool>("SELECT to_regclass('sensor_values') IS NOT NULL")) return result;
        var rows = await connection.QueryAsync<(string NodeId, DateTime Time)>(
            "SELECT t.nodeid, v.time FROM sensor_values v JOIN tags t ON t.id = v.tag_id WHERE t.endpoint = @endpoint", new { endpoint });
        foreach (var (node, time) in rows)
        {
            if (!result.TryGetValue(node, out var set)) result[node] = set = [];
            set.Add(DateTime.SpecifyKind(time, DateTimeKind.Utc));
        }
        return result;
    }
}
