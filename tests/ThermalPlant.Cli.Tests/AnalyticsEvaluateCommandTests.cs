using System.CommandLine;
using System.Text.Json;
using ThermalPlant.Cli.Analytics;

namespace ThermalPlant.Cli.Tests;

/// <summary><c>thermalplant analytics evaluate</c>: the simulated plant and the diagnosers in virtual time, briefly.</summary>
public sealed class AnalyticsEvaluateCommandTests
{
    private static readonly string[] Short = ["analytics", "evaluate", "--hours", "9", "--seed", "11", "--faults", "voltage_sag,speed_hunting,open_thermocouple", "--spectrum-interval", "60", "--json", "--quiet"];

    [Fact]
    public async Task A_short_run_injects_detects_and_names_its_faults_and_is_the_same_for_a_seed()
    {
        var (exit, output, error) = await Run(Short);
        Assert.True(exit == 0, error);
        using var first = JsonDocument.Parse(output);
        var rows = first.RootElement.GetProperty("faults").EnumerateArray().ToList();
        Assert.Equal(["voltage_sag", "speed_hunting", "open_thermocouple"], rows.Select(r => r.GetProperty("type").GetString()));
        var injected = rows.Sum(r => r.GetProperty("injected").GetInt32());
        Assert.InRange(injected, 3, 20);
        foreach (var row in rows)
        {
            Assert.Equal(row.GetProperty("injected").GetInt32(), row.GetProperty("detected").GetInt32());
            Assert.Equal(row.GetProperty("injected").GetInt32(), row.GetProperty("correct").GetInt32());
        }
        Assert.True(first.RootElement.GetProperty("normal_hours").GetDouble() > 0.5);
        Assert.True(first.RootElement.GetProperty("scalar_microseconds_per_sample").GetDouble() > 0);

        var (_, again, _) = await Run(Short);
        using var second = JsonDocument.Parse(again);
        // Everything but the measured costs is a function of the seed.
        foreach (var property in new[] { "faults", "false_alarms", "normal_hours", "false_alarms_by_diagnosis", "scalar_false_alarms", "scalar_false_alarms_by_tag", "misses" })
        {
            Assert.Equal(first.RootElement.GetProperty(property).GetRawText(), second.RootElement.GetProperty(property).GetRawText());
        }
    }

    [Fact]
    public async Task An_unknown_fault_type_or_a_too_short_run_is_refused_naming_the_option()
    {
        var (exit, _, error) = await Run("analytics", "evaluate", "--faults", "bearing_wear,gremlins", "--hours", "1");
        Assert.Equal(2, exit);
        Assert.Contains("--faults: 'gremlins'", error, StringComparison.Ordinal);
        Assert.Contains("--hours", error, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var root = new RootCommand { AnalyticsCommands.Create(output, error) };
        var exit = await root.Parse(args).InvokeAsync();
        return (exit, output.ToString(), error.ToString());
    }
}
