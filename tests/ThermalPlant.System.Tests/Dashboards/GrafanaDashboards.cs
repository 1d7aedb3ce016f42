using System.Text.Json;
using System.Text.RegularExpressions;
using ThermalPlant.Testing;

namespace ThermalPlant.System.Tests.Dashboards;

/// <summary>One query of one panel, with the data source it resolves to (the target's own, else the panel's).</summary>
internal sealed record DashboardTarget(
    string File, int PanelId, string PanelTitle, string PanelType, string RefId,
    string? DataSourceUid, string? DataSourceType, string? RawSql, string? Expr, string? Format)
{
    public override string ToString() => $"{File} panel {PanelId} '{PanelTitle}' query {RefId}";
}

/// <summary>The provisioned dashboards of grafana/dashboards and the data sources of grafana/provisioning, as files.</summary>
internal static partial class GrafanaDashboards
{
    public static string Directory => RepositoryPaths.Combine("grafana", "dashboards");

    public static IReadOnlyList<string> Files =>
        [.. global::System.IO.Directory.GetFiles(Directory, "*.json").Order(StringComparer.Ordinal)];

    public static JsonDocument Load(string file) =>
        JsonDocument.Parse(File.ReadAllText(file), new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });

    /// <summary>Every panel, rows' nested panels (collapsed rows keep theirs inside) included.</summary>
    public static IEnumerable<JsonElement> Panels(JsonElement dashboard)
    {
        if (!dashboard.TryGetProperty("panels", out var panels)) yield break;
        foreach (var panel in panels.EnumerateArray())
        {
            yield return panel;
            foreach (var nested in Panels(panel)) yield return nested;
        }
    }

    /// <summary>Every query of every dashboard file.</summary>
    public static IReadOnlyList<DashboardTarget> Targets()
    {
        var targets = new List<DashboardTarget>();
        foreach (var file in Files)
        {
            using var document = Load(file);
            var name = Path.GetFileName(file);
            foreach (var panel in Panels(document.RootElement))
            {
                if (!panel.TryGetProperty("targets", out var panelTargets)) continue;
                var (panelUid, panelType) = DataSource(panel);
                foreach (var target in panelTargets.EnumerateArray())
                {
                    var (uid, type) = DataSource(target);
                    targets.Add(new DashboardTarget(name, panel.GetProperty("id").GetInt32(), Text(panel, "title") ?? "", Text(panel, "type") ?? "",
                        Text(target, "refId") ?? "", uid ?? panelUid, type ?? panelType, Text(target, "rawSql"), Text(target, "expr"), Text(target, "format")));
                }
            }
        }
        return targets;
    }

    /// <summary>uid to type of every data source in grafana/provisioning/datasources/*.yaml.</summary>
    public static IReadOnlyDictionary<string, string> ProvisionedDataSources()
    {
        // The files are flat lists of data sources: "- name:" starts one, and its uid and type are keys one level
        // below. Keys of deeper maps (jsonData, secureJsonData) are indented further and are not read.
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in global::System.IO.Directory.GetFiles(RepositoryPaths.Combine("grafana", "provisioning", "datasources"), "*.yaml"))
        {
            string? uid = null, type = null;
            int? keyIndent = null;
            void Flush()
            {
                if (uid is not null && type is not null) sources[uid] = type;
                uid = type = null;
            }
            foreach (var line in File.ReadLines(file))
            {
                var item = ListItem().Match(line);
                if (item.Success)
                {
                    Flush();
                    keyIndent = item.Groups["indent"].Length + 2;
                    continue;
                }
                var key = Key().Match(line);
                if (!key.Success || keyIndent is null || key.Groups["indent"].Length != keyIndent) continue;
                if (key.Groups["key"].Value == "uid") uid = key.Groups["value"].Value.Trim('"', '\'');
                if (key.Groups["key"].Value == "type") type = key.Groups["value"].Value.Trim('"', '\'');
            }
            Flush();
        }
        return sources;
    }

    private static (string? Uid, string? Type) DataSource(JsonElement element)
    {
        if (!element.TryGetProperty("datasource", out var dataSource) || dataSource.ValueKind != JsonValueKind.Object) return (null, null);
        return (Text(dataSource, "uid"), Text(dataSource, "type"));
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    [GeneratedRegex(@"^(?<indent>\s*)-\s+name:")]
    private static partial Regex ListItem();

    [GeneratedRegex(@"^(?<indent>\s*)(?<key>[A-Za-z_]+):\s*(?<value>\S.*?)\s*$")]
    private static partial Regex Key();
}
