using System.Globalization;

namespace ThermalPlant.Cli.Analytics;

/// <summary>One row of a <c>timestamp,value</c> file: the parsed sample and the two fields as written.</summary>
/// <param name="Timestamp">The time, as given (no time zone is applied).</param>
/// <param name="Value">The value; NaN or infinity when written so (the detector skips those by rule).</param>
/// <param name="TimestampText">The timestamp field exactly as written.</param>
/// <param name="ValueText">The value field exactly as written.</param>
internal readonly record struct ScalarRow(DateTime Timestamp, double Value, string TimestampText, string ValueText);

/// <summary>A row of the input that is not a sample; the message names the line and the column.</summary>
internal sealed class ScalarCsvException(string message) : FormatException(message);

/// <summary>
/// Reads a NAB-style file, row by row: the header <c>timestamp,value</c>, then one sample per line such as
/// <c>2014-04-01 00:00:00,12.5</c>. Blank lines are ignored; a field may be in double quotes; <c>nan</c> and
/// <c>inf</c> are accepted as non-finite values. Anything else fails with the line and column.
/// </summary>
internal sealed class ScalarCsvReader(TextReader reader)
{
    private static readonly string[] TimestampFormats =
    [
        "yyyy-MM-dd HH:mm:ss",
        "yyyy-MM-dd HH:mm:ss.FFFFFFF",
        "yyyy-MM-dd HH:mm",
        "yyyy-MM-ddTHH:mm:ss",
        "yyyy-MM-ddTHH:mm:ss.FFFFFFF",
        "yyyy-MM-ddTHH:mm:ssZ",
        "yyyy-MM-ddTHH:mm:ss.FFFFFFFZ",
    ];

    private int _line;
    private bool _headerRead;

    /// <summary>Reads the next sample, or returns false at the end of the input.</summary>
    public bool TryRead(out ScalarRow row)
    {
        row = default;
        if (!_headerRead)
        {
            ReadHeader();
            _headerRead = true;
        }
        while (reader.ReadLine() is { } line)
        {
            _line++;
            if (line.Length == 0 || string.IsNullOrWhiteSpace(line)) continue;
            row = ParseRow(line);
            return true;
        }
        return false;
    }

    private void ReadHeader()
    {
        string? line;
        do
        {
            line = reader.ReadLine();
            _line++;
        }
        while (line is not null && string.IsNullOrWhiteSpace(line));
        if (line is null) throw new ScalarCsvException($"line {_line}: the input is empty; expected the header 'timestamp,value'");
        var fields = line.TrimStart('\uFEFF').Split(',');
        if (fields.Length != 2) throw new ScalarCsvException($"line {_line}: the header has {fields.Length} columns; expected 2, 'timestamp,value'");
        if (!Unquote(fields[0]).Trim().Equals("timestamp", StringComparison.OrdinalIgnoreCase))
            throw new ScalarCsvException($"line {_line}, column 1: header '{fields[0]}', expected 'timestamp'");
        if (!Unquote(fields[1]).Trim().Equals("value", StringComparison.OrdinalIgnoreCase))
            throw new ScalarCsvException($"line {_line}, column 2: header '{fields[1]}', expected 'value'");
    }

    private ScalarRow ParseRow(string line)
    {
        var comma = line.IndexOf(',', StringComparison.Ordinal);
        if (comma < 0) throw new ScalarCsvException($"line {_line}: one column; expected 2, 'timestamp,value'");
        var timestampText = line[..comma];
        var valueText = line[(comma + 1)..];
        if (valueText.Contains(',', StringComparison.Ordinal))
            throw new ScalarCsvException($"line {_line}, column 3: more than 2 columns; expected 'timestamp,value'");

        var timestampField = Unquote(timestampText).Trim();
        if (!DateTime.TryParseExact(timestampField, TimestampFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var timestamp))
            throw new ScalarCsvException($"line {_line}, column 1: '{timestampField}' is not a timestamp such as 2014-04-01 00:00:00");

        var valueField = Unquote(valueText).Trim();
        if (!TryParseValue(valueField, out var value))
            throw new ScalarCsvException($"line {_line}, column 2: '{valueField}' is not a number");
        return new ScalarRow(timestamp, value, timestampText, valueText);
    }

    private static bool TryParseValue(string field, out double value)
    {
        if (double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out value)) return true;
        switch (field.ToLowerInvariant())
        {
            case "nan":
                value = double.NaN;
                return true;
            case "inf" or "+inf" or "infinity" or "+infinity":
                value = double.PositiveInfinity;
                return true;
            case "-inf" or "-infinity":
                value = double.NegativeInfinity;
                return true;
            default:
                return false;
        }
    }

    private static string Unquote(string field)
    {
        var trimmed = field.Trim();
        return trimmed.Length >= 2 && trimmed[0] == '"' && trimmed[^1] == '"' ? trimmed[1..^1] : field;
    }
}
