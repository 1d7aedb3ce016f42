using ThermalPlant.Testing;

namespace ThermalPlant.Scraper.Tests;

/// <summary>The scraper's <c>/metrics</c> while it collects: every family follows the suite's naming convention and the docs.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ScraperMetricsTests(PostgresFixture postgres) : IDisposable
{
    private readonly TempDirectory _data = new("thermalplant-scraper-");

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task Every_metric_the_scraper_serves_follows_the_naming_convention()
    {
        Assert.NotNull(postgres.Server);
        var database = await postgres.Server.CreateDatabaseAsync();
        await using var plant = await PlantServer.StartAsync();
        plant.StartProducing();
        await using var scraper = await ScraperRun.StartAsync(database, _data.Path, new Dictionary<string, string>(StringComparer.Ordinal) { ["OpcUa:Endpoints:0:Url"] = plant.Url });
        await Stored.EventuallyAsync(async () => await Stored.CountAsync(database, "SELECT count(*) FROM sensor_data") > 0, TimeSpan.FromSeconds(60),
            () => Task.FromResult("nothing was stored"));

        using var http = new HttpClient { BaseAddress = scraper.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("# TYPE thermalplant_scraper_values_written_total counter", metrics, StringComparison.Ordinal);
        MetricConvention.AssertFollowed(metrics);
    }
}
