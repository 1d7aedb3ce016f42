using System.Globalization;
using ThermalPlant.Control.Links;

namespace ThermalPlant.PowerToGas.Calibration;

/// <summary>
/// The electrolyzer's calibration curve in the seed bridge's text format: the header
/// <c>Current_[A];H2_Flowrate_[Nl_per_min]</c>, then rows <c>current;flow</c> (an integer and a decimal) sorted by
/// current, highest first. It converts a requested hydrogen flow into the current set point with the seed's
/// semantics, so that its users see the same set points after switching. As a control link's
/// <see cref="ISetPointCurve"/> it turns the requested flow into the current set point.
/// </summary>
public sealed class CalibrationTable : ISetPointCurve
{
    /// <summary>The header line the format requires.</summary>
    public const string Header = "Current_[A];H2_Flowrate_[Nl_per_min]";

    /// <summary>The seed's MAX_CURRENT: what a flow at or above the table's top gives, in amperes.</summary>
    public const int DefaultMaxCurrent = 52;

    /// <summary>The seed's MIN_CURRENT: an interpolated current below it gives 0 A (the stack does not run that low).</summary>
    public const int DefaultMinCurrent = 8;

    private readonly CalibrationPoint[] _points;

    private CalibrationTable(CalibrationPoint[] points, int maxCurrent, int minCurrent)
    {
        _points = points;
        MaxCurrent = maxCurrent;
        MinCurrent = minCurrent;
    }

    /// <summary>The rows, highest current first.</summary>
    public IReadOnlyList<CalibrationPoint> Points => _points;

    /// <summary>Current given for a flow at or above the table's highest flow.</summary>
    public int MaxCurrent { get; }

    /// <summary>Interpolated currents below this give 0 A.</summary>
    public int MinCurrent { get; }

    /// <summary>The highest flow in the table.</summary>
    public decimal MaxFlow => _points[0].Flow;

    /// <summary>The lowest flow in the table.</summary>
    public decimal MinFlow => _points[^1].Flow;

    /// <summary>Reads and checks a table file; <see cref="FormatException"/> names the file, line and problem.</summary>
    public static async Task<CalibrationTable> LoadAsync(string path, int maxCurrent = DefaultMaxCurrent, int minCurrent = DefaultMinCurrent, CancellationToken cancellationToken = default)
    {
        var text = await File.ReadAllTextAsync(path, cancellationToken);
        return Parse(text, path, maxCurrent, minCurrent);
    }

    /// <summary>Reads and checks a table file synchronously (at start, before anything runs).</summary>
    public static CalibrationTable Load(string path, int maxCurrent = DefaultMaxCurrent, int minCurrent = DefaultMinCurrent) =>
        Parse(File.ReadAllText(path), path, maxCurrent, minCurrent);

    /// <summary>
    /// Parses <paramref name="text"/> in the seed's format. The table must have at least two rows, currents and flows
    /// strictly decreasing from row to row (a curve that turns back cannot be inverted), and no negative values.
    /// </summary>
    /// <param name="text">The file's content.</param>
    /// <param name="source">Named in error messages (usually the path).</param>
    /// <param name="maxCurrent">Current for a flow at or above the table's top.</param>
    /// <param name="minCurrent">Interpolated currents below this give 0 A.</param>
    public static CalibrationTable Parse(string text, string source = "calibration table", int maxCurrent = DefaultMaxCurrent, int minCurrent = DefaultMinCurrent)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (minCurrent < 0 || maxCurrent < minCurrent) throw new ArgumentOutOfRangeException(nameof(minCurrent), $"need 0 <= minCurrent ({minCurrent}) <= maxCurrent ({maxCurrent})");
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        var headerIndex = Array.FindIndex(lines, l => l.Trim().Length > 0);
        if (headerIndex < 0) throw new FormatException($"{source}: the file is empty; expected the header '{Header}'");
        if (!string.Equals(lines[headerIndex].Trim().TrimStart('\uFEFF'), Header, StringComparison.Ordinal))
        {
            throw new FormatException($"{source}, line {headerIndex + 1}: expected the header '{Header}', found '{lines[headerIndex].Trim()}'");
        }

        var points = new List<CalibrationPoint>();
        for (var i = headerIndex + 1; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0) continue;
            var lineNumber = i + 1;
            var fields = line.Split(';');
            if (fields.Length != 2) throw new FormatException($"{source}, line {lineNumber}: expected 'current;flow', found '{line}'");
            if (!int.TryParse(fields[0].Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var current))
            {
                throw new FormatException($"{source}, line {lineNumber}: the current '{fields[0].Trim()}' is not an integer");
            }
            if (!decimal.TryParse(fields[1].Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var flow))
            {
                throw new FormatException($"{source}, line {lineNumber}: the flow '{fields[1].Trim()}' is not a decimal number (use a point, not a comma)");
            }
            if (current < 0 || flow < 0) throw new FormatException($"{source}, line {lineNumber}: current and flow must not be negative");
            if (points.Count > 0)
            {
                var previous = points[^1];
                if (current >= previous.Current)
                {
                    throw new FormatException($"{source}, line {lineNumber}: currents must decrease from row to row ({previous.Current} A, then {current} A)");
                }
                if (flow >= previous.Flow)
                {
                    throw new FormatException($"{source}, line {lineNumber}: the flow must decrease with the current ({previous.Flow} at {previous.Current} A, then {flow} at {current} A); the curve is not monotonic");
                }
            }
            points.Add(new CalibrationPoint(current, flow));
        }
        if (points.Count < 2) throw new FormatException($"{source}: needs at least two rows to interpolate, found {points.Count}");
        return new CalibrationTable([.. points], maxCurrent, minCurrent);
    }

    /// <summary>
    /// The flow the curve gives for <paramref name="current"/> (the forward direction, as a simulated stack produces):
    /// linear between rows, 0 below <see cref="MinCurrent"/>, the table's top flow at or above its top current.
    /// </summary>
    public decimal ToFlow(decimal current)
    {
        if (current < MinCurrent) return 0;
        if (current <= _points[^1].Current) return _points[^1].Flow;
        if (current >= _points[0].Current) return _points[0].Flow;
        var lower = Array.FindIndex(_points, p => p.Current <= current);
        var low = _points[lower];
        var high = _points[lower - 1];
        return low.Flow + ((current - low.Current) * (high.Flow - low.Flow) / (high.Current - low.Current));
    }

    /// <summary>The current set point for <paramref name="flow"/>, in whole amperes, with the seed's semantics.</summary>
    public int ToCurrent(decimal flow) => Convert(flow).Current;

    /// <summary>
    /// Converts a requested flow: at or above the table's highest flow gives <see cref="MaxCurrent"/>; below its
    /// lowest flow gives 0; otherwise linear interpolation between the two bracketing rows, rounded half to even,
    /// and a result under <see cref="MinCurrent"/> gives 0. The result says which case applied.
    /// </summary>
    public CalibrationResult Convert(decimal flow)
    {
        if (flow >= MaxFlow) return new CalibrationResult(MaxCurrent, CalibrationRange.AboveTable);
        if (flow < MinFlow) return new CalibrationResult(0, CalibrationRange.BelowTable);

        // Rows run from the highest flow down: the first row at or below the flow and the one above it bracket it.
        var lower = Array.FindIndex(_points, p => p.Flow <= flow);
        var low = _points[lower];
        var high = _points[lower - 1];
        var exact = low.Current + ((flow - low.Flow) * (high.Current - low.Current) / (high.Flow - low.Flow));
        var current = (int)Math.Round(exact, MidpointRounding.ToEven);
        return current < MinCurrent
            ? new CalibrationResult(0, CalibrationRange.BelowMinimumCurrent)
            : new CalibrationResult(current, CalibrationRange.Interpolated);
    }

    /// <inheritdoc />
    public (double Minimum, double Maximum) Domain => ((double)MinFlow, (double)MaxFlow);

    /// <inheritdoc />
    SetPointConversion ISetPointCurve.Convert(double value)
    {
        // The flow comes from another plant's PLC: anything beyond the table is clamped by the table's rules, so a
        // huge, tiny or non-finite double is cut to a decimal-safe value before conversion instead of overflowing.
        var flow = value >= (double)MaxFlow ? MaxFlow : value < (double)MinFlow || double.IsNaN(value) ? MinFlow - 1 : (decimal)value;
        var result = Convert(flow);
        var range = result.Range switch
        {
            CalibrationRange.AboveTable => CurveRange.Above,
            CalibrationRange.BelowTable => CurveRange.Below,
            _ => CurveRange.Inside,
        };
        return new SetPointConversion(result.Current, range, $"flow {value} -> {result.Current} A, {result.Range}");
    }
}
