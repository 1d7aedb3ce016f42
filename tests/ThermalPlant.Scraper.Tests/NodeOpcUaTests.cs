using System.Globalization;
using ThermalPlant.Testing;

namespace ThermalPlant.Scraper.Tests;

/// <summary>
/// The scraper against node-opcua, an independent server with a tree unlike ours: deeper, wider, mixed types,
/// Organizes and HasComponent references.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class NodeOpcUaTests(PostgresFixture postgres) : IDisposable
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(90);
    private readonly TempDirectory _data = new("thermalplant-scraper-");

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task A_node_opcua_tree_is_scraped_completely_and_its_strings_are_skipped()
    {
        var script = NodeOpcUa.Script("server.mjs");
        var port = PeerPrograms.FreePort();
        await using var server = ManagedProcess.Start("node", [script, port.ToString(CultureInfo.InvariantCulture)], Path.GetDirectoryName(script));
        var url = $"opc.tcp://127.0.0.1:{port}/UA/Peer";

        // Objects/Site: 4 areas x 5 units x 3 devices x 6 variables, of which one (Tag) is a string.
        var site = await postgres.Server.CreateDatabaseAsync();
        await using var siteRun = await ScraperRun.StartAsync(site, Path.Combine(_data.Path, "site"), new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["OpcUa:Endpoints:0:Url"] = url,
            ["OpcUa:Endpoints:0:Root"] = "Objects/Site",
        });
        var tags = await Stored.PerNodeAsync(site, url);
        await Stored.EventuallyAsync(async () => (tags = await Stored.PerNodeAsync(site, url)).Count(t => t.Value.Rows > 0) == 4 * 5 * 3 * 5, Settle,
            () => Task.FromResult($"{tags.Count(t => t.Value.Rows > 0)} of 300 variables stored\n{server.Output}"));
        Assert.Contains(tags.Values, t => t.Sensor == "a0" && t.Tag == "u0.d0.temperature");
        Assert.Contains(tags.Values, t => t.Sensor == "a3" && t.Tag == "u4.d2.running");
        Assert.DoesNotContain(tags.Values, t => t.Tag.EndsWith(".tag", StringComparison.Ordinal));
        Assert.Equal(60, ScraperMetrics.SkippedVariables.WithLabels(url).Value);
        await siteRun.DisposeAsync();

        // Objects with a filter on the top level: Unit (3 numbers and a string) and Many (40 doubles), nothing else.
        var unit = await postgres.Server.CreateDatabaseAsync();
        await using var unitRun = await ScraperRun.StartAsync(unit, Path.Combine(_data.Path, "unit"), new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["OpcUa:Endpoints:0:Url"] = url,
            ["OpcUa:Endpoints:0:Root"] = "Objects",
            ["OpcUa:Endpoints:0:Include:0"] = "Unit",
            ["OpcUa:Endpoints:0:Include:1"] = "Ma*",
        });
        await Stored.EventuallyAsync(async () => (tags = await Stored.PerNodeAsync(unit, url)).Count(t => t.Value.Rows > 0) == 43, Settle,
            () => Task.FromResult($"{tags.Count(t => t.Value.Rows > 0)} of 43 variables stored: {string.Join(", ", tags.Values.Select(t => t.Sensor + "/" + t.Tag))}"));
        Assert.Equal(["many", "unit"], tags.Values.Select(t => t.Sensor).Distinct().Order(StringComparer.Ordinal));
        Assert.Contains(tags.Values, t => t.Sensor == "unit" && t.Tag == "flowsetpoint");
    }
}
