using System.CommandLine;
using System.Globalization;
using ThermalPlant.Analytics;
using ThermalPlant.Analytics.Scalar;

namespace ThermalPlant.Cli.Analytics;

/// <summary>
/// <c>thermalplant analytics score --input IN.csv --output OUT.csv [--detector NAME]</c>: scores a NAB-style file
/// row by row with a streaming detector, so a row's score depends on it and earlier rows only. OUT.csv echoes each
/// row's timestamp and value as written and adds <c>anomaly_score</c> in [0, 1]. The output is written to a temporary
/// file beside it and moved into place only when the whole input was read, so a bad input leaves no partial output.
/// </summary>
internal static class ScoreCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var input = new Option<FileInfo>("--input") { Description = "CSV with the header 'timestamp,value'", Required = true };
        var outputFile = new Option<FileInfo>("--output") { Description = "CSV written with the header 'timestamp,value,anomaly_score'", Required = true };
        var detector = new Option<string>("--detector")
        {
            Description = "Detector: " + string.Join("; ", ScalarDetectors.All.Select(d => $"{d.Name}: {d.Description}")),
            DefaultValueFactory = _ => ScalarDetectors.DefaultName,
        };
        detector.AcceptOnlyFromAmong([.. ScalarDetectors.All.Select(d => d.Name)]);
        var command = new Command("score", "Score a timestamp,value CSV causally with a streaming anomaly detector") { input, outputFile, detector };
        command.SetAction((result, cancel) => RunAsync(result.GetValue(input)!, result.GetValue(outputFile)!, result.GetValue(detector)!, output, error, cancel));
        return command;
    }

    private static async Task<int> RunAsync(FileInfo input, FileInfo outputFile, string detectorName, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var temporary = Path.Combine(outputFile.DirectoryName ?? ".", $".{outputFile.Name}.{Environment.ProcessId}.tmp");
        try
        {
            var detector = ScalarDetectors.Create(detectorName);
            long rows = 0, anomalous = 0;
            using (var reader = new StreamReader(input.FullName))
            await using (var writer = new StreamWriter(temporary))
            {
                writer.NewLine = "\n";
                await writer.WriteLineAsync("timestamp,value,anomaly_score");
                var csv = new ScalarCsvReader(reader);
                while (csv.TryRead(out var row))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var score = detector.Update(row.Timestamp, row.Value);
                    rows++;
                    if (score.State == AnomalyState.Anomalous) anomalous++;
                    await writer.WriteLineAsync($"{row.TimestampText},{row.ValueText},{score.Score.ToString("0.#########", CultureInfo.InvariantCulture)}");
                }
            }
            File.Move(temporary, outputFile.FullName, overwrite: true);
            var counts = detector.Counts;
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"scored {rows} rows with '{detectorName}' into {outputFile.FullName}: {anomalous} anomalous; skipped {counts.NonFinite} non-finite, {counts.OutOfOrder} out of order, {counts.Duplicates} duplicate timestamps; clamped {counts.Clamped} huge values"));
            return 0;
        }
        catch (ScalarCsvException ex)
        {
            File.Delete(temporary);
            await error.WriteLineAsync($"error: {input.Name}: {ex.Message}");
            return 2;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            await error.WriteLineAsync($"error: {ex.Message}");
            return 1;
        }
    }
}
