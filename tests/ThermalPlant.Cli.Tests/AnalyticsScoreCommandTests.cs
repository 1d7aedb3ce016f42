using System.CommandLine;
using System.Globalization;
using ThermalPlant.Cli.Analytics;

namespace ThermalPlant.Cli.Tests;

/// <summary><c>thermalplant analytics score</c> on files in a temporary directory.</summary>
public sealed class AnalyticsScoreCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("thermalplant-score-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Scores_every_row_echoing_timestamp_and_value_as_written()
    {
        var input = WriteInput("in.csv", Rows(1500, spikeAt: 1200));
        var output = Path.Combine(_dir, "out.csv");
        var (exit, stdout, _) = await Run("analytics", "score", "--input", input, "--output", output);
        Assert.Equal(0, exit);
        Assert.Contains("scored 1500 rows", stdout, StringComparison.Ordinal);
        var inLines = File.ReadAllLines(input);
        var outLines = File.ReadAllLines(output);
        Assert.Equal("timestamp,value,anomaly_score", outLines[0]);
        Assert.Equal(inLines.Length, outLines.Length);
        var scores = new double[outLines.Length - 1];
        for (var i = 1; i < outLines.Length; i++)
        {
            var at = outLines[i].LastIndexOf(',');
            Assert.Equal(inLines[i], outLines[i][..at]);
            scores[i - 1] = double.Parse(outLines[i][(at + 1)..], CultureInfo.InvariantCulture);
            Assert.InRange(scores[i - 1], 0, 1);
        }
        Assert.True(scores[1200] >= 0.5, $"the spike scored {scores[1200]}");
        Assert.True(scores[..1200].Max() < 0.5, "a normal row scored as an anomaly");
    }

    [Fact]
    public async Task A_rows_score_does_not_change_when_later_rows_are_removed()
    {
        var rows = Rows(1200, spikeAt: 900);
        var full = Path.Combine(_dir, "full.csv");
        Assert.Equal(0, (await Run("analytics", "score", "--input", WriteInput("full-in.csv", rows), "--output", full)).Exit);
        var fullLines = File.ReadAllLines(full);
        foreach (var keep in new[] { 1, 250, 899, 900, 1000 })
        {
            var part = Path.Combine(_dir, $"part-{keep}.csv");
            Assert.Equal(0, (await Run("analytics", "score", "--input", WriteInput($"part-{keep}-in.csv", rows[..keep]), "--output", part)).Exit);
            Assert.Equal(fullLines[..(keep + 1)], File.ReadAllLines(part));
        }
    }

    [Fact]
    public async Task The_detector_is_chosen_by_name_and_an_unknown_name_is_refused()
    {
        var input = WriteInput("in.csv", Rows(600, spikeAt: 500));
        var output = Path.Combine(_dir, "gaussian.csv");
        Assert.Equal(0, (await Run("analytics", "score", "--input", input, "--output", output, "--detector", "gaussian")).Exit);
        Assert.Equal(601, File.ReadAllLines(output).Length);
        var (exit, _, error) = await Run("analytics", "score", "--input", input, "--output", output, "--detector", "nonesuch");
        Assert.NotEqual(0, exit);
        Assert.Contains("nonesuch", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Non_finite_values_quotes_and_blank_lines_are_accepted()
    {
        var input = WriteInput("in.csv", ["\"2014-04-01 00:00:00\",1.5", "", "2014-04-01 00:05:00,nan", "2014-04-01 00:10:00,-inf", "2014-04-01T00:15:00Z,\"2.5\""]);
        var output = Path.Combine(_dir, "out.csv");
        var (exit, stdout, _) = await Run("analytics", "score", "--input", input, "--output", output);
        Assert.Equal(0, exit);
        Assert.Contains("skipped 2 non-finite", stdout, StringComparison.Ordinal);
        Assert.Equal(
            ["timestamp,value,anomaly_score", "\"2014-04-01 00:00:00\",1.5,0", "2014-04-01 00:05:00,nan,0", "2014-04-01 00:10:00,-inf,0", "2014-04-01T00:15:00Z,\"2.5\",0"],
            File.ReadAllLines(output));
    }

    [Theory]
    [InlineData("time,value\n2014-04-01 00:00:00,1\n", "line 1, column 1")]
    [InlineData("timestamp,val\n2014-04-01 00:00:00,1\n", "line 1, column 2")]
    [InlineData("timestamp,value,extra\n", "line 1: the header has 3 columns")]
    [InlineData("", "line 1: the input is empty")]
    [InlineData("timestamp,value\n2014-04-01 00:00:00,1\n2014-13-01 00:00:00,2\n", "line 3, column 1: '2014-13-01 00:00:00' is not a timestamp")]
    [InlineData("timestamp,value\n2014-04-01 00:00:00,1\n\n2014-04-01 00:10:00,1,5\n", "line 4, column 3")]
    [InlineData("timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00,abc\n", "line 3, column 2: 'abc' is not a number")]
    [InlineData("timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00\n", "line 3: one column")]
    public async Task A_bad_input_names_its_line_and_column_and_leaves_no_output(string content, string expected)
    {
        var input = Path.Combine(_dir, "bad.csv");
        await File.WriteAllTextAsync(input, content);
        var output = Path.Combine(_dir, "out.csv");
        var (exit, _, error) = await Run("analytics", "score", "--input", input, "--output", output);
        Assert.Equal(2, exit);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public async Task A_missing_input_is_an_error_not_a_crash()
    {
        var (exit, _, error) = await Run("analytics", "score", "--input", Path.Combine(_dir, "absent.csv"), "--output", Path.Combine(_dir, "out.csv"));
        Assert.Equal(1, exit);
        Assert.Contains("absent.csv", error, StringComparison.Ordinal);
    }

    private static string[] Rows(int count, int spikeAt)
    {
        var rng = new Random(5);
        var start = new DateTime(2014, 4, 1, 0, 0, 0, DateTimeKind.Utc);
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            var value = 20 + (rng.NextDouble() - 0.5) + (i == spikeAt ? 15 : 0);
            return string.Create(CultureInfo.InvariantCulture, $"{start.AddMinutes(5 * i):yyyy-MM-dd HH:mm:ss},{value:F3}");
        })];
    }

    private string WriteInput(string name, string[] rows)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllLines(path, ["timestamp,value", .. rows]);
        return path;
    }

    private static async Task<(int Exit, string Output, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var root = new RootCommand { AnalyticsCommands.Create(output, error) };
        var exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }
}
