namespace ThermalPlant.Control.Sources;

/// <summary>One read of a control source.</summary>
/// <param name="Quality">Whether the value can be used.</param>
/// <param name="Value">The value when <paramref name="Quality"/> is <see cref="SourceQuality.Good"/>.</param>
/// <param name="SourceTimestamp">When the source says the value was last set, if it says.</param>
/// <param name="Problem">Why the value cannot be used, for the log.</param>
public sealed record SourceReading(SourceQuality Quality, double? Value, DateTimeOffset? SourceTimestamp, string? Problem)
{
    /// <summary>A usable value.</summary>
    public static SourceReading Good(double value, DateTimeOffset? sourceTimestamp) => new(SourceQuality.Good, value, sourceTimestamp, null);

    /// <summary>The source answered with a Bad status or a value that is not a number.</summary>
    public static SourceReading Bad(string problem) => new(SourceQuality.Bad, null, null, problem);

    /// <summary>The source could not be reached.</summary>
    public static SourceReading Unreachable(string problem) => new(SourceQuality.Unreachable, null, null, problem);
}

/// <summary>How usable a source reading is.</summary>
public enum SourceQuality
{
    /// <summary>The value can be used.</summary>
    Good,
    /// <summary>The source answered, but with a Bad status or an unusable value.</summary>
    Bad,
    /// <summary>The value is older than the link allows.</summary>
    Stale,
    /// <summary>The source did not answer.</summary>
    Unreachable,
}
