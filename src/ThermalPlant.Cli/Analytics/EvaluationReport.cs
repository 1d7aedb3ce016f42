using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ThermalPlant.Simulation;

namespace ThermalPlant.Cli.Analytics;

/// <summary>Time spent in the diagnoser.</summary>
internal sealed record CostFigures(long Spectra, long ScalarSamples, double AudioSeconds, double ScalarSeconds, long DetectorSamples, double DetectorSeconds, double DetectorStateBytesPerTag);

/// <summary>One fault type's row of the report.</summary>
internal sealed record FaultTypeRow(
    string Type,
    int Injected,
    int Detected,
    int Correct,
    int ScalarDetected,
    double? MedianDelaySeconds,
    double? MaxDelaySeconds,
    double? MedianHarmonicRiseDb,
    double? MaxHarmonicRiseDb);

/// <summary>What <c>analytics evaluate</c> prints.</summary>
internal sealed record EvaluationReport(
    double HoursPerSeed,
    int FirstSeed,
    int Seeds,
    double SpectrumSeconds,
    IReadOnlyList<FaultTypeRow> Faults,
    int FalseAlarms,
    double NormalHours,
    double FalseAlarmsPerDay,
    IReadOnlyDictionary<string, int> FalseAlarmsByDiagnosis,
    int ScalarFalseAlarms,
    double ScalarFalseAlarmsPerDay,
    IReadOnlyDictionary<string, int> ScalarFalseAlarmsByTag,
    double CombinedFalseAlarmsPerDay,
    double AudioMicrosecondsPerSpectrum,
    double AudioCoreFractionAt10Hz,
    double ScalarMicrosecondsPerSample,
    double DetectorMicrosecondsPerSample,
    double DetectorStateBytesPerTag,
    IReadOnlyList<long> HeapBytesHourly,
    IReadOnlyList<string> Misses)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The sensors service analyses audio every 0.1 s by default: the rate the audio cost is stated at.</summary>
    private const double DefaultSpectraPerSecond = 10;

    public static EvaluationReport From(EvaluationSettings settings, IReadOnlyList<FaultOutcome> faults, IReadOnlyList<FalseAlarm> falseAlarms, IReadOnlyList<FalseAlarm> scalarFalseAlarms, double normalHours, CostFigures cost, IReadOnlyList<long> heap)
    {
        var rows = new List<FaultTypeRow>();
        foreach (var type in settings.Types)
        {
            var ofType = faults.Where(f => f.Spec.Type == type).ToList();
            var delays = ofType.Where(f => f.FirstAt is not null).Select(f => (f.FirstAt!.Value - f.InjectedAt).TotalSeconds).ToList();
            var rises = ofType.Where(f => f.HarmonicRiseDb is not null).Select(f => f.HarmonicRiseDb!.Value).ToList();
            rows.Add(new FaultTypeRow(
                Name(type),
                ofType.Count,
                delays.Count,
                ofType.Count(f => f.CorrectAt is not null),
                ofType.Count(f => f.ScalarFirstAt is not null),
                Median(delays),
                delays.Count > 0 ? delays.Max() : null,
                type == FaultType.BearingWear ? Median(rises) : null,
                type == FaultType.BearingWear && rises.Count > 0 ? rises.Max() : null));
        }
        var misses = faults.Where(f => f.CorrectAt is null).Select(f => string.Create(CultureInfo.InvariantCulture,
            $"seed {f.Seed} {Name(f.Spec.Type)} {f.Spec.Target} at {f.InjectedAt:yyyy-MM-dd HH:mm}: expected {f.Expected.Component}/{f.Expected.FaultType}, first said {(f.First is null ? "nothing" : $"{f.First.Component}/{f.First.FaultType}")}")).ToList();
        var audioMicros = cost.Spectra > 0 ? cost.AudioSeconds * 1e6 / cost.Spectra : 0;
        var days = normalHours / 24;
        return new EvaluationReport(
            settings.Hours,
            settings.Seed,
            settings.Runs,
            settings.SpectrumSeconds,
            rows,
            falseAlarms.Count,
            normalHours,
            days > 0 ? falseAlarms.Count / days : 0,
            falseAlarms.GroupBy(a => $"{a.Component}/{a.FaultType}").OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            scalarFalseAlarms.Count,
            days > 0 ? scalarFalseAlarms.Count / days : 0,
            scalarFalseAlarms.GroupBy(a => a.Component).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            days > 0 ? (falseAlarms.Count + scalarFalseAlarms.Count) / days : 0,
            audioMicros,
            audioMicros * DefaultSpectraPerSecond / 1e6,
            cost.ScalarSamples > 0 ? cost.ScalarSeconds * 1e6 / cost.ScalarSamples : 0,
            cost.DetectorSamples > 0 ? cost.DetectorSeconds * 1e6 / cost.DetectorSamples : 0,
            cost.DetectorStateBytesPerTag,
            heap,
            misses);
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public void WriteText(TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"{Seeds} seed(s) from {FirstSeed}, {HoursPerSeed:0.#} virtual hours each, a spectrum every {SpectrumSeconds:0.#} s"));
        output.WriteLine(string.Create(c, $"{"fault type",-20} {"injected",8} {"detected",8} {"correct",8} {"median delay",13} {"max delay",10} {"wear rise at flag (median/max)",31} {"scalar detected",15}"));
        foreach (var row in Faults)
        {
            var rise = row.MedianHarmonicRiseDb is null ? "" : string.Create(c, $"{row.MedianHarmonicRiseDb:+0.0;-0.0} / {row.MaxHarmonicRiseDb:+0.0;-0.0} dB");
            output.WriteLine(string.Create(c, $"{row.Type,-20} {row.Injected,8} {row.Detected,8} {row.Correct,8} {Duration(row.MedianDelaySeconds),13} {Duration(row.MaxDelaySeconds),10} {rise,31} {row.ScalarDetected,15}"));
        }
        output.WriteLine(string.Create(c, $"false alarms: {FalseAlarms} in {NormalHours:0.0} h of normal running = {FalseAlarmsPerDay:0.00} per day"));
        foreach (var (diagnosis, count) in FalseAlarmsByDiagnosis) output.WriteLine(string.Create(c, $"  {diagnosis}: {count}"));
        output.WriteLine(string.Create(c, $"scalar detectors' false alarms: {ScalarFalseAlarms} = {ScalarFalseAlarmsPerDay:0.00} per day; both together {CombinedFalseAlarmsPerDay:0.00} per day"));
        foreach (var (tag, count) in ScalarFalseAlarmsByTag) output.WriteLine(string.Create(c, $"  {tag}: {count}"));
        output.WriteLine(string.Create(c, $"cost: audio diagnosis {AudioMicrosecondsPerSpectrum:0.0} us per spectrum ({AudioCoreFractionAt10Hz:P3} of a core at 10 spectra/s), scalar diagnosis {ScalarMicrosecondsPerSample:0.00} us per sample; scalar detectors {DetectorMicrosecondsPerSample:0.00} us per sample, {DetectorStateBytesPerTag:0} bytes of state per tag"));
        if (HeapBytesHourly.Count > 1) output.WriteLine(string.Create(c, $"managed heap hourly: first {HeapBytesHourly[0] / 1024.0:0} KiB, last {HeapBytesHourly[^1] / 1024.0:0} KiB, max {HeapBytesHourly.Max() / 1024.0:0} KiB"));
        foreach (var miss in Misses) output.WriteLine($"  not diagnosed right: {miss}");
    }

    public static string Name(FaultType type) => JsonNamingPolicy.SnakeCaseLower.ConvertName(type.ToString());

    private static double? Median(List<double> values)
    {
        if (values.Count == 0) return null;
        values.Sort();
        var mid = values.Count / 2;
        return values.Count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }

    private static string Duration(double? seconds) => seconds switch
    {
        null => "-",
        < 120 => string.Create(CultureInfo.InvariantCulture, $"{seconds:0} s"),
        < 7200 => string.Create(CultureInfo.InvariantCulture, $"{seconds / 60:0.0} min"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600:0.00} h"),
    };
}
