using System.Text.Json;
using ThermalPlant.Testing;

namespace ThermalPlant.System.Tests;

/// <summary>Debian's real Prometheus scraping the real sensors service, with the suite's alert rules loaded.</summary>
public sealed class PrometheusScrapeTests
{
    [Fact]
    public async Task Prometheus_scrapes_the_sensors_service_and_loads_the_alert_rules()
    {
        var prometheus = PeerPrograms.Require("prometheus", "scripts/test installs it (apt-get install prometheus)", "/usr/bin/prometheus");
        var directory = Directory.CreateTempSubdirectory("thermalplant-prometheus-").FullName;
        var sensorsPort = PeerPrograms.FreePort();
        await using var sensors = ManagedProcess.Start("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "ThermalPlant.Sensors.dll"), $"--urls=http://127.0.0.1:{sensorsPort}", "--Serilog:MinimumLevel:Default=Warning"]);
        await HttpWait.UntilOkAsync(new Uri($"http://127.0.0.1:{sensorsPort}/health/live"), TimeSpan.FromSeconds(60), () => sensors.Output);

        var config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files:
              - {RepositoryPaths.Combine("prometheus", "rules")}/*.yml
            scrape_configs:
              - job_name: sensors
                static_configs:
                  - targets: ["127.0.0.1:{sensorsPort}"]
            """);
        var prometheusPort = PeerPrograms.FreePort();
        await using var server = ManagedProcess.Start(prometheus,
            [$"--config.file={config}", $"--storage.tsdb.path={Path.Combine(directory, "data")}", $"--web.listen-address=127.0.0.1:{prometheusPort}"]);
        var api = new Uri($"http://127.0.0.1:{prometheusPort}/");
        await HttpWait.UntilOkAsync(new Uri(api, "-/ready"), TimeSpan.FromSeconds(30), () => server.Output);

        using var client = new HttpClient { BaseAddress = api, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string? samples = null;
        while (DateTime.UtcNow < deadline)
        {
            samples = await client.GetStringAsync("api/v1/query?query=" + Uri.EscapeDataString("sum(thermalplant_sensors_samples_total) and on() up{job=\"sensors\"} == 1"));
            using var doc = JsonDocument.Parse(samples);
            if (doc.RootElement.GetProperty("data").GetProperty("result").GetArrayLength() == 1) break;
            await Task.Delay(500);
        }
        using (var doc = JsonDocument.Parse(samples!))
        {
            Assert.True(doc.RootElement.GetProperty("data").GetProperty("result").GetArrayLength() == 1, $"sensors not scraped: {samples}\n{server.Output}");
        }

        using var rules = JsonDocument.Parse(await client.GetStringAsync("api/v1/rules"));
        var groups = rules.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("name").GetString()).ToList();
        Assert.Contains("thermalplant-services", groups);
        Directory.Delete(directory, recursive: true);
    }
}
