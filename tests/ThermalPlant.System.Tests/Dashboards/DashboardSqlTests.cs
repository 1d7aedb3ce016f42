using System.Globalization;
using System.Text;
using Npgsql;

namespace ThermalPlant.System.Tests.Dashboards;

/// <summary>
/// Every SQL query of the dashboards, expanded as Grafana expands it, against a real PostgreSQL with the suite's
/// schema and a plant's data; and the seed's three dashboard queries, unchanged.
/// </summary>
public sealed class DashboardSqlTests(PlantDatabaseFixture plant) : IClassFixture<PlantDatabaseFixture>
{
    // One pixel width per relation the queries choose from: raw samples, the 5 s rollup, the 1 min rollup.
    public static TheoryData<int> Intervals => new() { 1_000, 10_000, 120_000 };

    [Theory]
    [MemberData(nameof(Intervals))]
    public async Task Every_SQL_query_runs_and_returns_values(int intervalMs)
    {
        var (from, to) = Range();
        var targets = SqlTargets();
        var failures = new StringBuilder();
        foreach (var target in targets)
        {
            var sql = GrafanaSqlMacros.Expand(target.RawSql!, from, to, TimeSpan.FromMilliseconds(intervalMs));
            var problem = await RunAsync(sql, numeric: target.Format != "table");
            if (problem is not null) failures.AppendLine($"{target} at $__interval_ms={intervalMs}: {problem}");
        }
        Assert.True(failures.Length == 0, failures.ToString());
    }

    [Theory]
    [InlineData(10_000)]
    [InlineData(120_000)]
    public async Task Queries_that_name_the_rollups_answer_from_them_at_5_s_and_1_min(int intervalMs)
    {
        var (from, to) = Range();
        // Only the rollups are left (in a transaction that is rolled back): a query that read the raw samples
        // at these widths, although a rollup serves them, would come back empty.
        await using var connection = await plant.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var truncate = new NpgsqlCommand("TRUNCATE sensor_values", connection, transaction))
        {
            await truncate.ExecuteNonQueryAsync();
        }
        var rollupQueries = SqlTargets().Where(t => t.RawSql!.Contains("rolling_", StringComparison.Ordinal)).ToList();
        Assert.True(rollupQueries.Count >= 5, $"expected the trend, scatter, throughput, z-score and spectrum panels to read the rollups; found {rollupQueries.Count}");
        var failures = new StringBuilder();
        foreach (var target in rollupQueries)
        {
            var sql = GrafanaSqlMacros.Expand(target.RawSql!, from, to, TimeSpan.FromMilliseconds(intervalMs));
            var problem = await RunAsync(sql, numeric: target.Format != "table", connection, transaction);
            if (problem is not null) failures.AppendLine($"{target} at $__interval_ms={intervalMs}: {problem}");
        }
        await transaction.RollbackAsync();
        Assert.True(failures.Length == 0, failures.ToString());
    }

    [Fact]
    public async Task The_status_panels_show_the_bad_thermocouple_and_the_uncertain_speed()
    {
        var (from, to) = Range();
        var history = Single("Sensor status history");
        var rows = await RowsAsync(GrafanaSqlMacros.Expand(history.RawSql!, from, to, TimeSpan.FromSeconds(1)));
        Assert.Contains(rows, r => (string)r["Tag"]! == "temperature/lower" && (string)r["Severity"]! == "Bad" && (string)r["Status code"]! == "0x80000000" && (long)r["Samples"]! == 90);
        Assert.Contains(rows, r => (string)r["Tag"]! == "rpm/mainshaft" && (string)r["Severity"]! == "Uncertain" && (string)r["Status code"]! == "0x40000000" && (long)r["Samples"]! == 30);
        Assert.Equal(2, rows.Count);

        var now = Single("Tags not Good now");
        var current = await RowsAsync(GrafanaSqlMacros.Expand(now.RawSql!, from, to, TimeSpan.FromSeconds(1)));
        Assert.Equal(["temperature/lower"], current.Select(r => (string)r["Tag"]!));
    }

    [Fact]
    public async Task The_alert_panel_lists_the_alarms_needing_attention_first_then_the_history_newest_first()
    {
        Assert.NotNull(plant.DataSource);
        var (from, to) = Range();
        var panel = Single("Alert history and status");
        var rows = await RowsAsync(GrafanaSqlMacros.Expand(panel.RawSql!, from, to, TimeSpan.FromSeconds(1)));

        // Now: the open thermocouple (severity 800, unacknowledged) above the acknowledged bearing diagnosis; the upper
        // thermocouple's alarm is over (normal, acknowledged and confirmed), so it is only history.
        Assert.Equal(("Active, unacknowledged", "Lower", "Lower thermocouple open circuit"), ((string)rows[0]["Status"]!, (string)rows[0]["Source"]!, (string)rows[0]["Message"]!));
        Assert.Equal(("Active", "Bearing", "maintenance booked"), ((string)rows[1]["Status"]!, (string)rows[1]["Source"]!, (string)rows[1]["Comment"]!));
        // Then every event of the last 30 minutes, newest first: the nine stored.
        var history = rows.Skip(2).ToList();
        Assert.Equal(9, history.Count);
        Assert.Equal(history.Select(r => (DateTime)r["Time"]!).OrderDescending(), history.Select(r => (DateTime)r["Time"]!));
        Assert.Equal(["History: active", "History: active", "History: active", "Event", "Event", "History: normal", "History: normal", "History: active", "History: active"],
            history.Select(r => (string)r["Status"]!));
        Assert.Equal(2, history.Count(r => (string)r["Type"]! == "SystemEventType" && r["Acked"] is null));

        // A range that ends before the bearing diagnosis: the alarms needing attention now are shown all the same.
        var earlier = await RowsAsync(GrafanaSqlMacros.Expand(panel.RawSql!, from, to - TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(1)));
        Assert.Equal(2, earlier.Count(r => ((string)r["Status"]!).StartsWith("Active", StringComparison.Ordinal)));
        Assert.Equal(6, earlier.Count(r => !((string)r["Status"]!).StartsWith("Active", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_seeds_three_dashboard_queries_run_unchanged_and_return_rows()
    {
        string[] seed =
        [
            "SELECT time_bucket('5s', timestamp) AS time, avg(value) AS temperature FROM sensor_data WHERE sensorname = 'temperature' AND tagname = 'upper' AND timestamp > now() - interval '1 hour' GROUP BY time ORDER BY time;",
            "SELECT time_bucket('1m', timestamp) AS time, avg(value) AS avg_value, stddev(value) AS stddev_value FROM sensor_data WHERE sensorname = 'rpm' AND timestamp > now() - interval '24 hours' GROUP BY time ORDER BY time;",
            """
            WITH temperature AS (
                SELECT time_bucket('1m', timestamp) AS time, avg(value) AS temperature
                FROM sensor_data
                WHERE sensorname = 'temperature' AND tagname = 'upper' AND timestamp > now() - interval '6 hours'
                GROUP BY time
            ), rpm AS (
                SELECT time_bucket('1m', timestamp) AS time, avg(value) AS rpm
                FROM sensor_data
                WHERE sensorname = 'rpm' AND timestamp > now() - interval '6 hours'
                GROUP BY time
            )
            SELECT temperature.time, temperature.temperature, rpm.rpm
            FROM temperature JOIN rpm ON temperature.time = rpm.time
            ORDER BY temperature.time;
            """,
        ];
        // 40 minutes of data: 5 s buckets over the last hour, 1 min buckets in the other two (41 when the minute is not whole).
        int[] least = [480, 40, 40];
        for (var i = 0; i < seed.Length; i++)
        {
            var rows = await RowsAsync(seed[i]);
            Assert.True(rows.Count >= least[i], $"seed query {i + 1} returned {rows.Count} rows, expected at least {least[i]}");
            // The sample standard deviation of a one-sample bucket is NULL, as stddev() answers; only the partial minutes
            // at either end of the 40 minutes can hold a single sample (when the data starts at hh:mm:59 or ends at hh:mm:00).
            for (var r = 0; r < rows.Count; r++)
            {
                var edge = r == 0 || r == rows.Count - 1;
                Assert.All(rows[r], column => Assert.True(column.Value is not null || (edge && column.Key == "stddev_value"), $"seed query {i + 1}, row {r}: {column.Key} is NULL"));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Intervals))]
    public async Task Every_SQL_query_answers_the_same_on_the_TimescaleDB_path(int intervalMs)
    {
        Assert.NotNull(plant.TimescaleDataSource);
        var (from, to) = Range();
        var failures = new StringBuilder();
        foreach (var target in SqlTargets())
        {
            var sql = GrafanaSqlMacros.Expand(target.RawSql!, from, to, TimeSpan.FromMilliseconds(intervalMs));
            var plain = Render(await RowsAsync(sql));
            await using var connection = await plant.TimescaleDataSource.OpenConnectionAsync();
            var timescale = Render(await RowsAsync(sql, connection));
            if (plain != timescale) failures.AppendLine($"{target} at $__interval_ms={intervalMs}:{Environment.NewLine}plain: {plain}{Environment.NewLine}timescaledb: {timescale}");
        }
        Assert.True(failures.Length == 0, failures.ToString());
    }

    /// <summary>Rows as text, doubles to 9 significant digits: aggregation order may differ in the last bits between paths.</summary>
    private static string Render(List<Dictionary<string, object?>> rows) => string.Join(";", rows.Select(row => string.Join("|", row.Select(c => c.Value switch
    {
        double d => d.ToString("G9", CultureInfo.InvariantCulture),
        decimal m => ((double)m).ToString("G9", CultureInfo.InvariantCulture),
        DateTime t => t.ToString("O", CultureInfo.InvariantCulture),
        _ => Convert.ToString(c.Value, CultureInfo.InvariantCulture),
    }))));

    private (DateTimeOffset From, DateTimeOffset To) Range()
    {
        // The last 30 minutes up to just after the newest sample, as "Last 30 minutes" on the dashboard.
        var to = new DateTimeOffset(plant.End.AddMilliseconds(500), TimeSpan.Zero);
        return (to - TimeSpan.FromMinutes(30), to);
    }

    private static List<DashboardTarget> SqlTargets()
    {
        var targets = GrafanaDashboards.Targets().Where(t => t.RawSql is not null).ToList();
        Assert.True(targets.Count >= 10, $"expected the Plant overview's SQL panels, found {targets.Count}");
        return targets;
    }

    private static DashboardTarget Single(string title) => Assert.Single(SqlTargets(), t => t.PanelTitle == title);

    /// <summary>
    /// Null when the query ran and returned a row with a value; else what went wrong. A time series needs a
    /// non-null number besides the time (the series name does not count); a table any non-null cell.
    /// </summary>
    private async Task<string?> RunAsync(string sql, bool numeric, NpgsqlConnection? connection = null, NpgsqlTransaction? transaction = null)
    {
        try
        {
            var rows = await RowsAsync(sql, connection, transaction);
            if (rows.Count == 0) return "no rows";
            var hasValue = rows.Any(row => row.Any(c => c.Key != "time" && (numeric ? c.Value is double or decimal or long or int or float : c.Value is not null)));
            return hasValue ? null : "rows without a value";
        }
        catch (PostgresException e)
        {
            return $"{e.SqlState} {e.MessageText}{Environment.NewLine}{sql}";
        }
    }

    private async Task<List<Dictionary<string, object?>>> RowsAsync(string sql, NpgsqlConnection? connection = null, NpgsqlTransaction? transaction = null)
    {
        var owned = connection is null ? await plant.DataSource.OpenConnectionAsync() : null;
        try
        {
            await using var command = new NpgsqlCommand(sql, connection ?? owned, transaction);
            await using var reader = await command.ExecuteReaderAsync();
            var rows = new List<Dictionary<string, object?>>();
            while (await reader.ReadAsync())
            {
                var row = new Dictionary<string, object?>(StringComparer.Ordinal);
                for (var i = 0; i < reader.FieldCount; i++) row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                rows.Add(row);
            }
            return rows;
        }
        finally
        {
            if (owned is not null) await owned.DisposeAsync();
        }
    }
}
