using System.Globalization;
using Dapper;
using Npgsql;

namespace ThermalPlant.Storage.Tests;

/// <summary>
/// The plain path's time_bucket against TimescaleDB's documented semantics: widths below a month are counted from
/// the default origin Monday 2000-01-03 00:00 UTC (so weeks start on Monday and days at UTC midnight), months and
/// years from 2000-01-01, and the session time zone changes nothing for timestamptz.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class TimeBucketTests(PostgresFixture postgres)
{
    private static readonly DateTime Origin = new(2000, 1, 3, 0, 0, 0, DateTimeKind.Utc);

    [Theory]
    [InlineData("5 seconds", "2024-03-10 07:03:07.5", "2024-03-10 07:03:05")]
    [InlineData("5s", "2024-03-10 07:03:05", "2024-03-10 07:03:05")]
    [InlineData("1m", "2024-03-10 07:03:59.999999", "2024-03-10 07:03:00")]
    [InlineData("15 minutes", "2024-01-01 11:27:00", "2024-01-01 11:15:00")]
    [InlineData("1 hour", "2024-03-10 07:59:00", "2024-03-10 07:00:00")]
    [InlineData("1 day", "2024-03-10 23:30:00", "2024-03-10 00:00:00")]
    [InlineData("1 week", "2024-03-13 10:00:00", "2024-03-11 00:00:00")]
    [InlineData("2 days", "2000-01-04 12:00:00", "2000-01-03 00:00:00")]
    [InlineData("3 days", "2000-01-01 00:00:00", "1999-12-31 00:00:00")]
    [InlineData("1 month", "2021-08-15 13:00:00", "2021-08-01 00:00:00")]
    [InlineData("3 months", "2021-08-01 00:00:00", "2021-07-01 00:00:00")]
    [InlineData("1 year", "2021-08-01 00:00:00", "2021-01-01 00:00:00")]
    [InlineData("2 months", "1999-12-15 00:00:00", "1999-11-01 00:00:00")]
    public async Task Buckets_match_TimescaleDB_on_known_vectors(string width, string utc, string expected)
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync();
        await using var connection = await db.OpenConnectionAsync();
        // A zone with daylight saving and an offset from UTC: timestamptz buckets must not move with it.
        await connection.ExecuteAsync("SET TimeZone = 'America/New_York'");

        var bucketTz = await connection.ExecuteScalarAsync<DateTime>(
            "SELECT time_bucket(@width::interval, @ts::timestamptz)", new { width, ts = utc + "+00" });
        Assert.Equal(Parse(expected), bucketTz);
        Assert.Equal(DateTimeKind.Utc, bucketTz.Kind);

        var bucket = await connection.ExecuteScalarAsync<DateTime>(
            "SELECT time_bucket(@width::interval, @ts::timestamp)", new { width, ts = utc });
        Assert.Equal(DateTime.SpecifyKind(Parse(expected), DateTimeKind.Unspecified), bucket);
    }

    [Fact]
    public async Task Buckets_below_a_month_count_from_the_Monday_origin_for_any_timestamp()
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync();
        await using var connection = await db.OpenConnectionAsync();
        await connection.ExecuteAsync("SET TimeZone = 'Asia/Kolkata'");
        var random = new Random(6);
        var widths = new[] { TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(7), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(90), TimeSpan.FromHours(1), TimeSpan.FromDays(1), TimeSpan.FromDays(3), TimeSpan.FromDays(7) };
        for (var i = 0; i < 200; i++)
        {
            var width = widths[i % widths.Length];
            // Microsecond timestamps between 1990 and 2040, before and after the origin.
            var ts = new DateTime(1990, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks(random.NextInt64(0, TimeSpan.FromDays(365 * 50).Ticks) / 10 * 10);
            var offset = (ts - Origin).Ticks % width.Ticks;
            var expected = ts.AddTicks(-(offset < 0 ? offset + width.Ticks : offset));
            var actual = await connection.ExecuteScalarAsync<DateTime>(
                "SELECT time_bucket(@width, @ts)", new { width, ts });
            Assert.True(expected == actual, $"time_bucket('{width}', {ts:O}) = {actual:O}, expected {expected:O}");
        }
    }

    [Fact]
    public async Task Infinite_timestamps_stay_infinite_and_mixed_widths_are_refused()
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync();
        await using var connection = await db.OpenConnectionAsync();
        Assert.True(await connection.ExecuteScalarAsync<bool>("SELECT time_bucket('1 hour', timestamptz 'infinity') = timestamptz 'infinity'"));
        Assert.Null(await connection.ExecuteScalarAsync<DateTime?>("SELECT time_bucket('1 hour', NULL::timestamptz)"));
        var refused = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteScalarAsync<DateTime>("SELECT time_bucket('1 month 1 day', now())"));
        Assert.Equal(PostgresErrorCodes.InvalidParameterValue, refused.SqlState);
    }

    [Fact]
    public async Task The_planner_inlines_time_bucket_into_the_query()
    {
        await using var db = await postgres.CreateMigratedDatabaseAsync();
        await using var connection = await db.OpenConnectionAsync();
        var plan = string.Join('\n', await connection.QueryAsync<string>(
            "EXPLAIN (VERBOSE, COSTS OFF) SELECT time_bucket('5s', timestamp) FROM sensor_data"));
        // Inlined, the width folds into a date_bin call: no SQL-function call per row on the dashboards' queries.
        Assert.Contains("date_bin", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("time_bucket", plan, StringComparison.Ordinal);
    }

    private static DateTime Parse(string utc) =>
        DateTime.SpecifyKind(DateTime.Parse(utc, CultureInfo.InvariantCulture, DateTimeStyles.None), DateTimeKind.Utc);
}
