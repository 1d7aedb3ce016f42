namespace ThermalPlant.System.Tests.Dashboards;

/// <summary>The expansion the SQL tests rely on produces what Grafana's PostgreSQL data source sends.</summary>
public sealed class GrafanaSqlMacrosTests
{
    private static readonly DateTimeOffset From = new(2024, 3, 10, 11, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset To = new DateTimeOffset(2024, 3, 10, 13, 30, 5, TimeSpan.FromHours(1)).AddMilliseconds(250);

    [Fact]
    public void Time_macros_become_UTC_RFC_3339_literals()
    {
        Assert.Equal("SELECT 1 WHERE s.\"timestamp\" BETWEEN '2024-03-10T11:00:00Z' AND '2024-03-10T12:30:05.25Z' AND x > '2024-03-10T11:00:00Z' AND y < '2024-03-10T12:30:05.25Z'",
            GrafanaSqlMacros.Expand("SELECT 1 WHERE $__timeFilter(s.\"timestamp\") AND x > $__timeFrom() AND y < $__timeTo()", From, To, TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public void Interval_variables_become_Grafanas_text_and_milliseconds()
    {
        Assert.Equal("time_bucket('5m', t), 300000, time_bucket('200ms', t)",
            GrafanaSqlMacros.Expand("time_bucket('$__interval', t), $__interval_ms", From, To, TimeSpan.FromMinutes(5))
            + ", " + GrafanaSqlMacros.Expand("time_bucket('$__interval', t)", From, To, TimeSpan.FromMilliseconds(200)));
        Assert.Equal("floor(extract(epoch from t)/300)*300 AS \"time\"", GrafanaSqlMacros.Expand("$__timeGroupAlias(t, '5m')", From, To, TimeSpan.FromSeconds(1)));
    }

    [Theory]
    [InlineData("SELECT $__unknownMacro(t)")]
    [InlineData("SELECT * FROM tags WHERE sensorname = '$sensor'")]
    public void Macros_and_variables_it_does_not_know_are_refused(string sql)
    {
        Assert.Throws<NotSupportedException>(() => GrafanaSqlMacros.Expand(sql, From, To, TimeSpan.FromSeconds(1)));
    }
}
