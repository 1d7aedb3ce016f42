namespace ThermalPlant.OpcUa.Types;

/// <summary>A value with its quality and timestamps (Part 4, 7.11).</summary>
public sealed record DataValue
{
    /// <summary>The value; null when absent.</summary>
    public Variant? Value { get; init; }

    /// <summary>Quality of the value.</summary>
    public StatusCode Status { get; init; }

    /// <summary>When the source produced the value; null when absent.</summary>
    public DateTime? SourceTimestamp { get; init; }

    /// <summary>10 ps intervals added to the source timestamp.</summary>
    public ushort SourcePicoseconds { get; init; }

    /// <summary>When the server received or produced the value; null when absent.</summary>
    public DateTime? ServerTimestamp { get; init; }

    /// <summary>10 ps intervals added to the server timestamp.</summary>
    public ushort ServerPicoseconds { get; init; }
}
