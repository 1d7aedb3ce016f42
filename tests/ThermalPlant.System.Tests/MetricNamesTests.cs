using System.Text.RegularExpressions;
using ThermalPlant.Testing;

namespace ThermalPlant.System.Tests;

/// <summary>
/// Every metric the services register in their sources, whether or not a running host has touched it yet, follows
/// the suite's naming convention and is named in the docs (the hosts' tests check what <c>/metrics</c> serves).
/// </summary>
public sealed partial class MetricNamesTests
{
    [Fact]
    public void Every_registered_metric_follows_the_naming_convention_and_the_docs()
    {
        var families = new List<string>();
        foreach (var file in Directory.EnumerateFiles(RepositoryPaths.Combine("src"), "*.cs", SearchOption.AllDirectories))
        {
            var text = File.ReadAllText(file);
            foreach (Match match in Registration().Matches(text))
            {
                var kind = match.Groups["kind"].Value;
                var type = kind switch
                {
                    "Counter" => "counter",
                    "Gauge" or "UpDownCounter" => "gauge",
                    "Histogram" => "histogram",
                    _ => "summary",
                };
                families.Add($"# TYPE {match.Groups["name"].Value} {type}");
            }
        }
        // The hosts' own metrics and the control library's meter, at least: a regex that matched nothing would pass.
        Assert.True(families.Count > 50, $"only {families.Count} registrations found");
        Assert.Contains("# TYPE thermalplant_control_writes_total counter", families);
        MetricConvention.AssertFollowed(string.Join("\n", families));
    }

    // prometheus-net's Metrics.CreateCounter("name", ...) and System.Diagnostics.Metrics' CreateCounter<long>("name", ...).
    [GeneratedRegex(@"\bCreate(?<kind>Counter|Gauge|Histogram|Summary|UpDownCounter)(?:<\w+>)?\(\s*""(?<name>[^""]+)""")]
    private static partial Regex Registration();
}
