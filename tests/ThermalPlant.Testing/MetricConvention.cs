using System.Text.RegularExpressions;

namespace ThermalPlant.Testing;

/// <summary>
/// The suite's metric naming convention, checked against what a host serves at <c>/metrics</c>: every family of
/// ours is <c>thermalplant_&lt;part&gt;_&lt;what&gt;[_&lt;unit&gt;]</c> in lower snake case, the prefix once; a counter
/// ends in <c>_total</c> and nothing else does; each is named in the docs (README.md, ARCHITECTURE.md, docs/).
/// Families that are not ours come only from prometheus-net's defaults (<c>process_</c>, <c>dotnet_</c>,
/// <c>http_</c>, <c>prometheus_net_</c>), the public meters of the .NET runtime and ASP.NET Core (<c>system_</c>,
/// <c>microsoft_</c>), Npgsql's own meter (<c>npgsql_</c>) and Polly's resilience meter (<c>polly_</c>, the OPC UA
/// server's DMZ client).
/// </summary>
public static partial class MetricConvention
{
    private static readonly string[] ForeignPrefixes = ["process_", "dotnet_", "http_", "prometheus_net_", "microsoft_", "system_", "npgsql_", "polly_"];

    private static readonly Lazy<string> Docs = new(() => string.Join("\n",
        new[] { RepositoryPaths.Combine("README.md"), RepositoryPaths.Combine("ARCHITECTURE.md") }.Where(File.Exists)
            .Concat(Directory.EnumerateFiles(RepositoryPaths.Combine("docs"), "*.md"))
            .Select(File.ReadAllText)));

    /// <summary>The families (name and type) declared by <c># TYPE</c> lines of a Prometheus text exposition.</summary>
    public static IReadOnlyList<(string Name, string Type)> Families(string exposition)
    {
        ArgumentNullException.ThrowIfNull(exposition);
        return [.. TypeLine().Matches(exposition).Select(m => (m.Groups[1].Value, m.Groups[2].Value))];
    }

    /// <summary>What breaks the convention in <paramref name="exposition"/>, one line per family; empty when nothing does.</summary>
    public static IReadOnlyList<string> Problems(string exposition)
    {
        var problems = new List<string>();
        foreach (var (name, type) in Families(exposition))
        {
            if (!name.StartsWith("thermalplant_", StringComparison.Ordinal))
            {
                if (!ForeignPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal))) problems.Add($"{name}: not prefixed thermalplant_ and not a prometheus-net or .NET family");
                continue;
            }
            if (!OurName().IsMatch(name)) problems.Add($"{name}: not thermalplant_<part>_<what> in lower snake case");
            if (name.IndexOf("thermalplant_", 1, StringComparison.Ordinal) >= 0) problems.Add($"{name}: the prefix is repeated");
            if (type == "counter" && !name.EndsWith("_total", StringComparison.Ordinal)) problems.Add($"{name}: a counter must end in _total");
            if (type != "counter" && name.EndsWith("_total", StringComparison.Ordinal)) problems.Add($"{name}: a {type} must not end in _total (only counters do)");
            if (!Regex.IsMatch(Docs.Value, $@"\b{Regex.Escape(name)}\b")) problems.Add($"{name}: not named in README.md, ARCHITECTURE.md or docs/");
        }
        return problems;
    }

    /// <summary>Fails the test with every problem of <paramref name="exposition"/>.</summary>
    public static void AssertFollowed(string exposition)
    {
        var problems = Problems(exposition);
        Assert.True(problems.Count == 0, "Metrics that break the naming convention:\n" + string.Join("\n", problems));
    }

    [GeneratedRegex(@"^# TYPE (\S+) (\S+)$", RegexOptions.Multiline)]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"^thermalplant_[a-z][a-z0-9]*(_[a-z0-9]+)+$")]
    private static partial Regex OurName();
}
