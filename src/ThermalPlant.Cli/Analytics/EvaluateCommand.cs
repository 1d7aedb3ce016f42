using System.CommandLine;
using ThermalPlant.Simulation;

namespace ThermalPlant.Cli.Analytics;

/// <summary><c>thermalplant analytics evaluate</c>: the simulated plant and the diagnosers together in virtual time.</summary>
internal static class EvaluateCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var hours = new Option<double>("--hours") { Description = "Virtual hours per seed, a 3 h warm-up included", DefaultValueFactory = _ => 24 };
        var seed = new Option<int>("--seed") { Description = "Seed of the plant and of the fault schedule", DefaultValueFactory = _ => 1 };
        var runs = new Option<int>("--runs") { Description = "Seeds to run, from --seed on", DefaultValueFactory = _ => 1 };
        var faults = new Option<string>("--faults") { Description = "Fault types to inject, comma-separated (snake_case, e.g. bearing_wear,voltage_sag), or 'all'", DefaultValueFactory = _ => "all" };
        var spectrum = new Option<double>("--spectrum-interval") { Description = "Virtual seconds between spectra handed to the diagnosers (audio is most of the run's cost)", DefaultValueFactory = _ => 10 };
        var memory = new Option<bool>("--track-memory") { Description = "Measure the managed heap every virtual hour" };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var quiet = new Option<bool>("--quiet") { Description = "No progress lines on standard error" };
        var command = new Command("evaluate", "Run the simulated plant and the diagnosers in virtual time, inject faults at random times, and report detections, delays, right diagnoses and false alarms")
        {
            hours, seed, runs, faults, spectrum, memory, json, quiet,
        };
        command.SetAction(result =>
        {
            var errors = new List<string>();
            var h = result.GetValue(hours);
            var r = result.GetValue(runs);
            var s = result.GetValue(spectrum);
            if (!(h is >= 4 and <= 24 * 365)) errors.Add("--hours must be between 4 (the warm-up and one fault) and 8760");
            if (r is < 1 or > 1000) errors.Add("--runs must be between 1 and 1000");
            if (!(s is >= 1 and <= 600)) errors.Add("--spectrum-interval must be between 1 and 600 seconds");
            var types = ParseTypes(result.GetValue(faults)!, errors);
            if (errors.Count > 0)
            {
                foreach (var e in errors) error.WriteLine(e);
                return 2;
            }
            var settings = new EvaluationSettings(h, result.GetValue(seed), r, types, s, TrackMemory: result.GetValue(memory));
            var report = new PlantEvaluation(settings).Run(result.GetValue(quiet) ? null : line => error.WriteLine(line));
            if (result.GetValue(json)) output.WriteLine(report.ToJson());
            else report.WriteText(output);
            return 0;
        });
        return command;
    }

    private static List<FaultType> ParseTypes(string text, List<string> errors)
    {
        if (text.Trim() == "all") return [.. Enum.GetValues<FaultType>()];
        var types = new List<FaultType>();
        foreach (var name in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var type = Enum.GetValues<FaultType>().Where(t => EvaluationReport.Name(t) == name).Cast<FaultType?>().FirstOrDefault();
            if (type is null) errors.Add($"--faults: '{name}' is not a fault type of the simulator ({string.Join(", ", Enum.GetValues<FaultType>().Select(EvaluationReport.Name))})");
            else if (!types.Contains(type.Value)) types.Add(type.Value);
        }
        if (types.Count == 0 && errors.Count == 0) errors.Add("--faults names no fault type");
        return types;
    }
}
