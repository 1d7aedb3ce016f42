using System.Text.RegularExpressions;
using ThermalPlant.Testing;

namespace ThermalPlant.System.Tests.Dashboards;

/// <summary>What CI can check of the dashboards without Grafana (not in Debian): the files, their data sources, their metric names.</summary>
public sealed partial class DashboardFileTests
{
    [Fact]
    public void Every_dashboard_is_valid_JSON_with_a_unique_uid_unique_panel_ids_and_panels_that_do_not_overlap()
    {
        Assert.True(GrafanaDashboards.Files.Count >= 2, $"expected the Plant overview and Infrastructure dashboards in {GrafanaDashboards.Directory}");
        var uids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in GrafanaDashboards.Files)
        {
            var name = Path.GetFileName(file);
            using var document = GrafanaDashboards.Load(file);
            var root = document.RootElement;
            var uid = root.GetProperty("uid").GetString();
            Assert.False(string.IsNullOrEmpty(uid), $"{name} has no uid");
            Assert.True(uids.Add(uid!), $"{name} repeats the uid {uid}");
            Assert.False(string.IsNullOrEmpty(root.GetProperty("title").GetString()), $"{name} has no title");

            var ids = new HashSet<int>();
            var placed = new List<(int Id, int X, int Y, int W, int H)>();
            foreach (var panel in GrafanaDashboards.Panels(root))
            {
                var id = panel.GetProperty("id").GetInt32();
                Assert.True(ids.Add(id), $"{name} repeats panel id {id}");
                var grid = panel.GetProperty("gridPos");
                var (x, y, w, h) = (grid.GetProperty("x").GetInt32(), grid.GetProperty("y").GetInt32(), grid.GetProperty("w").GetInt32(), grid.GetProperty("h").GetInt32());
                Assert.True(x >= 0 && w > 0 && h > 0 && x + w <= 24, $"{name} panel {id} lies outside Grafana's 24 columns: x={x} w={w}");
                // Grafana moves overlapping panels on load, so the layout in the file would not be the one shown.
                var overlap = placed.FirstOrDefault(p => x < p.X + p.W && p.X < x + w && y < p.Y + p.H && p.Y < y + h);
                Assert.True(overlap == default, $"{name} panel {id} overlaps panel {overlap.Id}");
                placed.Add((id, x, y, w, h));
            }
            Assert.NotEmpty(ids);
        }
    }

    [Fact]
    public void Every_query_uses_a_data_source_the_provisioning_creates_with_its_type()
    {
        var provisioned = GrafanaDashboards.ProvisionedDataSources();
        Assert.Equal(["prometheus", "timescaledb"], provisioned.Keys.Order(StringComparer.Ordinal));
        var targets = GrafanaDashboards.Targets();
        Assert.NotEmpty(targets);
        foreach (var target in targets)
        {
            Assert.True(target.DataSourceUid is not null && provisioned.ContainsKey(target.DataSourceUid),
                $"{target} uses data source uid '{target.DataSourceUid}', which grafana/provisioning/datasources does not create");
            Assert.True(target.DataSourceType == provisioned[target.DataSourceUid!],
                $"{target} says type '{target.DataSourceType}' for '{target.DataSourceUid}', provisioned as '{provisioned[target.DataSourceUid!]}'");
            var query = provisioned[target.DataSourceUid!] == "prometheus" ? target.Expr : target.RawSql;
            Assert.False(string.IsNullOrWhiteSpace(query), $"{target} has no query for its data source");
        }
    }

    [Fact]
    public void The_dashboard_provider_reads_the_folder_compose_mounts_the_dashboards_at()
    {
        var provider = File.ReadAllText(RepositoryPaths.Combine("grafana", "provisioning", "dashboards", "dashboards.yaml"));
        var path = ProviderPath().Match(provider);
        Assert.True(path.Success, "dashboards.yaml has no options.path");
        var compose = File.ReadAllText(RepositoryPaths.Combine("docker-compose.yaml"));
        var mount = DashboardsMount().Match(compose);
        Assert.True(mount.Success, "docker-compose.yaml does not mount ./grafana/dashboards into the grafana service");
        Assert.Equal(path.Groups["path"].Value, mount.Groups["target"].Value);
    }

    [Fact]
    public void Every_metric_name_in_the_dashboards_PromQL_is_known()
    {
        var expressions = GrafanaDashboards.Targets().Where(t => t.Expr is not null).Select(t => t.Expr!).ToList();
        Assert.NotEmpty(expressions);
        var unknown = UnknownMetricNames(expressions);
        Assert.True(unknown.Count == 0,
            $"metric names neither in prometheus/rules, the exporters' families nor DashboardMetrics.ThermalPlant: {string.Join(", ", unknown)}");
    }

    [Fact]
    public void The_known_name_check_reports_a_name_nobody_serves()
    {
        // Guards the check above against passing vacuously (a scanner that finds nothing, or a catalog that takes anything).
        Assert.Equal(["thermalplant_scraper_made_up_total"],
            UnknownMetricNames(["sum by (job) (rate(thermalplant_scraper_made_up_total[5m])) / on(job) up"]));
    }

    [Fact]
    public void Every_suite_metric_the_alert_rules_use_is_in_the_dashboards_list()
    {
        // DashboardMetrics.ThermalPlant is the one list the services have to match; the rules must not need names outside it.
        var fromRules = AlertRuleMetricNames().Where(n => n.StartsWith("thermalplant_", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(fromRules);
        Assert.All(fromRules, name => Assert.Contains(name, DashboardMetrics.ThermalPlant));
    }

    [Theory]
    [InlineData("up{job=~\"sensors|opcserver|scraper\"} == 0", "up")]
    [InlineData("sum by (sensor) (rate(thermalplant_sensors_samples_total{result!=\"good\"}[1m])) > 0", "thermalplant_sensors_samples_total")]
    [InlineData("histogram_quantile(0.99, sum by (le) (rate(a_seconds_bucket{x=\"}\"}[$__rate_interval])))", "a_seconds_bucket")]
    [InlineData("100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)", "node_memory_MemAvailable_bytes node_memory_MemTotal_bytes")]
    [InlineData("a / on(instance) group_left(name) b offset 5m unless c and bool 1e3", "a b c")]
    [InlineData("max by (alertname) (ALERTS{alertstate=\"firing\"}) # a comment with words", "ALERTS")]
    [InlineData("sum(rate(x_total{job=\"$job\"}[${__rate_interval}])) without (instance)", "x_total")]
    public void The_PromQL_scanner_finds_metric_names_and_nothing_else(string expression, string expected)
    {
        Assert.Equal(expected.Split(' ').Order(StringComparer.Ordinal), PromQlMetricNames.Of(expression).Order(StringComparer.Ordinal));
    }

    private static List<string> UnknownMetricNames(IEnumerable<string> expressions)
    {
        var rules = AlertRuleMetricNames();
        var families = DashboardMetrics.Exporters.Concat(DashboardMetrics.PrometheusNet).Concat(DashboardMetrics.ThermalPlant).ToList();
        return [.. expressions.SelectMany(PromQlMetricNames.Of).Distinct(StringComparer.Ordinal)
            .Where(name => !rules.Contains(name) && !DashboardMetrics.IsSeriesOf(name, families))
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>Metric names of every expr in prometheus/rules (an expr may continue on more-indented lines).</summary>
    internal static HashSet<string> AlertRuleMetricNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(RepositoryPaths.Combine("prometheus", "rules"), "*.yml"))
        {
            string? expression = null;
            var indent = 0;
            foreach (var line in File.ReadLines(file).Append(""))
            {
                var lineIndent = line.Length - line.TrimStart().Length;
                if (expression is not null && line.Trim().Length > 0 && lineIndent > indent && !YamlKey().IsMatch(line))
                {
                    expression += " " + line.Trim();
                    continue;
                }
                if (expression is not null) names.UnionWith(PromQlMetricNames.Of(expression));
                expression = null;
                var match = ExprLine().Match(line);
                if (match.Success)
                {
                    expression = match.Groups["expr"].Value;
                    indent = match.Groups["indent"].Length;
                }
            }
        }
        return names;
    }

    [GeneratedRegex(@"^\s*path:\s*(?<path>\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex ProviderPath();

    [GeneratedRegex(@"^\s*-\s*\./grafana/dashboards:(?<target>[^:\s]+)(:ro)?\s*$", RegexOptions.Multiline)]
    private static partial Regex DashboardsMount();

    [GeneratedRegex(@"^(?<indent>\s*)expr:\s*(?<expr>.*)$")]
    private static partial Regex ExprLine();

    [GeneratedRegex(@"^\s*[A-Za-z_]+:(\s|$)")]
    private static partial Regex YamlKey();
}
