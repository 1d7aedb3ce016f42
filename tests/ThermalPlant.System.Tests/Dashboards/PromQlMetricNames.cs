namespace ThermalPlant.System.Tests.Dashboards;

/// <summary>
/// The metric names a PromQL expression selects. A small scanner rather than a parser: it skips strings, label
/// matchers ({...}), ranges and subqueries ([...]), the label lists of by/without/on/ignoring/group_left/group_right,
/// numbers, durations and Grafana variables ($__rate_interval, ${job}); of the remaining identifiers, those followed
/// by "(" are functions or aggregations and the keywords are operators; every other one is a metric name.
/// </summary>
internal static class PromQlMetricNames
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "atan2", "inf", "nan", "Inf", "NaN",
    };

    private static readonly HashSet<string> LabelListKeywords = new(StringComparer.Ordinal)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right",
    };

    public static IReadOnlySet<string> Of(string expression)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var i = 0;
        while (i < expression.Length)
        {
            var c = expression[i];
            if (c is '"' or '\'' or '`')
            {
                i = SkipString(expression, i);
            }
            else if (c == '{')
            {
                i = SkipTo(expression, i, '}');
            }
            else if (c == '[')
            {
                i = SkipTo(expression, i, ']');
            }
            else if (c == '#')
            {
                // A comment runs to the end of the line.
                while (i < expression.Length && expression[i] != '\n') i++;
            }
            else if (c == '$')
            {
                i++;
                if (i < expression.Length && expression[i] == '{') i = SkipTo(expression, i, '}');
                else while (i < expression.Length && IsNamePart(expression[i])) i++;
            }
            else if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < expression.Length && char.IsAsciiDigit(expression[i + 1])))
            {
                // Numbers, 1e3, 0x1f and durations (5m) are one token.
                while (i < expression.Length && (IsNamePart(expression[i]) || expression[i] == '.')) i++;
            }
            else if (IsNameStart(c))
            {
                var start = i;
                while (i < expression.Length && IsNamePart(expression[i])) i++;
                var name = expression[start..i];
                var next = SkipSpaces(expression, i);
                var followedByParen = next < expression.Length && expression[next] == '(';
                if (LabelListKeywords.Contains(name))
                {
                    if (followedByParen) i = SkipTo(expression, next, ')');
                }
                else if (!followedByParen && !Keywords.Contains(name) && !IsAggregation(expression, next))
                {
                    names.Add(name);
                }
            }
            else
            {
                i++;
            }
        }
        return names;
    }

    // "sum by (job) (...)": an aggregation whose grouping comes before its argument.
    private static bool IsAggregation(string text, int next)
    {
        var end = next;
        while (end < text.Length && IsNamePart(text[end])) end++;
        return text[next..end] is "by" or "without";
    }

    private static bool IsNameStart(char c) => char.IsAsciiLetter(c) || c is '_' or ':';

    private static bool IsNamePart(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or ':';

    private static int SkipSpaces(string text, int i)
    {
        while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
        return i;
    }

    // Returns the index after the closing character, skipping strings inside (a label value may hold it).
    private static int SkipTo(string text, int open, char close)
    {
        var i = open + 1;
        while (i < text.Length && text[i] != close)
        {
            i = text[i] is '"' or '\'' or '`' ? SkipString(text, i) : i + 1;
        }
        return Math.Min(i + 1, text.Length);
    }

    private static int SkipString(string text, int open)
    {
        var quote = text[open];
        var i = open + 1;
        while (i < text.Length && text[i] != quote)
        {
            i += text[i] == '\\' && quote != '`' ? 2 : 1;
        }
        return Math.Min(i + 1, text.Length);
    }
}
