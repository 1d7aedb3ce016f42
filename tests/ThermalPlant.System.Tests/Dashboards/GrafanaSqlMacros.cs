using System.Globalization;
using System.Text.RegularExpressions;

namespace ThermalPlant.System.Tests.Dashboards;

/// <summary>
/// Expands a panel's SQL the way Grafana does before its PostgreSQL data source sends it: first the global
/// variables ($__interval, $__interval_ms), then the data source's macros, with times in UTC as RFC 3339
/// (for example <c>col BETWEEN '2024-03-10T11:00:00Z' AND '2024-03-10T12:00:00Z'</c>).
/// Anything else that starts with $ is refused, so that a dashboard using a macro or variable this
/// expansion does not know fails the test instead of being sent half-expanded.
/// </summary>
internal static partial class GrafanaSqlMacros
{
    public static string Expand(string sql, DateTimeOffset from, DateTimeOffset to, TimeSpan interval)
    {
        var milliseconds = (long)interval.TotalMilliseconds;
        var expanded = sql
            .Replace("$__interval_ms", milliseconds.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("${__interval_ms}", milliseconds.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("$__interval", IntervalText(milliseconds), StringComparison.Ordinal)
            .Replace("${__interval}", IntervalText(milliseconds), StringComparison.Ordinal);

        expanded = Macro().Replace(expanded, match =>
        {
            var arguments = match.Groups["args"].Value.Split(',', StringSplitOptions.TrimEntries);
            return match.Groups["name"].Value switch
            {
                "timeFilter" => $"{arguments[0]} BETWEEN {Quoted(from)} AND {Quoted(to)}",
                "timeFrom" => Quoted(from),
                "timeTo" => Quoted(to),
                "time" => $"{arguments[0]} AS \"time\"",
                "timeEpoch" => $"extract(epoch from {arguments[0]}) AS \"time\"",
                "timeGroup" => TimeGroup(arguments),
                "timeGroupAlias" => TimeGroup(arguments) + " AS \"time\"",
                "unixEpochFilter" => string.Create(CultureInfo.InvariantCulture, $"{arguments[0]} >= {from.ToUnixTimeSeconds()} AND {arguments[0]} <= {to.ToUnixTimeSeconds()}"),
                "unixEpochFrom" => from.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
                "unixEpochTo" => to.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
                _ => throw new NotSupportedException($"Grafana macro {match.Value} is not expanded by the test; add it to GrafanaSqlMacros."),
            };
        });

        var left = Leftover().Match(expanded);
        if (left.Success) throw new NotSupportedException($"'{left.Value}' is neither a Grafana macro the test expands nor allowed in a dashboard query.");
        return expanded;
    }

    /// <summary>Grafana's text for an interval: the largest whole unit (1d, 1h, 5m, 10s), else milliseconds.</summary>
    public static string IntervalText(long milliseconds) => milliseconds switch
    {
        >= 86_400_000 when milliseconds % 86_400_000 == 0 => $"{milliseconds / 86_400_000}d",
        >= 3_600_000 when milliseconds % 3_600_000 == 0 => $"{milliseconds / 3_600_000}h",
        >= 60_000 when milliseconds % 60_000 == 0 => $"{milliseconds / 60_000}m",
        >= 1_000 when milliseconds % 1_000 == 0 => $"{milliseconds / 1_000}s",
        _ => $"{milliseconds}ms",
    };

    // Go's time.RFC3339Nano: fraction without trailing zeros, none at all on a whole second, Z for UTC.
    private static string Quoted(DateTimeOffset time) =>
        "'" + time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture).TrimEnd('.') + "Z'";

    private static string TimeGroup(string[] arguments)
    {
        var seconds = (long)ParseDuration(arguments[1].Trim('\'')).TotalSeconds;
        return string.Create(CultureInfo.InvariantCulture, $"floor(extract(epoch from {arguments[0]})/{seconds})*{seconds}");
    }

    private static TimeSpan ParseDuration(string text)
    {
        var match = Duration().Match(text);
        if (!match.Success) throw new NotSupportedException($"duration '{text}'");
        var number = double.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
        return match.Groups["unit"].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(number),
            "s" => TimeSpan.FromSeconds(number),
            "m" => TimeSpan.FromMinutes(number),
            "h" => TimeSpan.FromHours(number),
            "d" => TimeSpan.FromDays(number),
            _ => TimeSpan.FromDays(7 * number),
        };
    }

    [GeneratedRegex(@"\$__(?<name>[A-Za-z]+)\((?<args>[^()]*)\)")]
    private static partial Regex Macro();

    // A $ followed by a name: a template variable or an unknown macro. $1-style placeholders do not occur in SQL here.
    [GeneratedRegex(@"\$\{?[A-Za-z_][A-Za-z0-9_]*")]
    private static partial Regex Leftover();

    [GeneratedRegex(@"^(?<n>[0-9.]+)(?<unit>ms|s|m|h|d|w)$")]
    private static partial Regex Duration();
}
