using System.CommandLine;

namespace ThermalPlant.Cli.Analytics;

/// <summary><c>thermalplant analytics ...</c>: the detectors from a shell. Each subcommand lives in its own file and is added here.</summary>
internal static class AnalyticsCommands
{
    /// <param name="output">Where results go.</param>
    /// <param name="error">Where errors go.</param>
    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("analytics", "Anomaly detection and diagnosis, offline");
        command.Subcommands.Add(ScoreCommand.Create(output, error));
        command.Subcommands.Add(EvaluateCommand.Create(output, error));
        return command;
    }
}
