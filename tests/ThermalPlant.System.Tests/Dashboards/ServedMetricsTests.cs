using System.Text.RegularExpressions;
using ThermalPlant.Testing;

namespace ThermalPlant.System.Tests.Dashboards;

/// <summary>The metric names the dashboards expect of a running service are the ones it serves.</summary>
public sealed partial class ServedMetricsTests
{
    [Fact]
    public async Task The_sensors_service_serves_its_dashboard_metrics_and_prometheus_nets()
    {
        var port = PeerPrograms.FreePort();
        await using var sensors = ManagedProcess.Start("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "ThermalPlant.Sensors.dll"), $"--urls=http://127.0.0.1:{port}", "--Serilog:MinimumLevel:Default=Warning"]);
        await HttpWait.UntilOkAsync(new Uri($"http://127.0.0.1:{port}/health/live"), TimeSpan.FromSeconds(60), () => sensors.Output);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        // The first request creates the HTTP metrics; the second scrape shows them.
        await client.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
        var text = await client.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
        var served = TypeLine().Matches(text).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);

        var expected = DashboardMetrics.ThermalPlant.Where(n => n.StartsWith("thermalplant_sensors_", StringComparison.Ordinal)).Concat(DashboardMetrics.PrometheusNet).ToList();
        Assert.Contains("thermalplant_sensors_samples_total", expected);
        var missing = expected.Where(name => !served.Contains(name)).ToList();
        Assert.True(missing.Count == 0, $"the sensors service does not serve {string.Join(", ", missing)}; it serves {string.Join(", ", served.Order(StringComparer.Ordinal))}");
    }

    [GeneratedRegex(@"^# TYPE (?<name>\S+) ", RegexOptions.Multiline)]
    private static partial Regex TypeLine();
}
