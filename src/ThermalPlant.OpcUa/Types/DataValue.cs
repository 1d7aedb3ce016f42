namespace ThermalPlant.OpcUa.Types;

/// <summary>
/// A value with its quality and timestamps (Part 4, 7.11). A value type, so an array of results is one allocation;
/// <c>default</c> is a Good DataValue without value or timestamps.
/// </summary>
public readonly record struct DataValue
{
    // Timestamps are kept as a DateTime plus a flag rather than DateTime? (16 bytes each), to keep the struct small.
    private readonly DateTime _sourceTimestamp;
    private readonly DateTime _serverTimestamp;
    private readonly bool _hasSourceTimestamp;
    private readonly bool _hasServerTimestamp;

    /// <summary>The value; <see cref="Variant.Null"/> (the default) when absent.</summary>
    public Variant Value { get; init; }

    /// <summary>Quality of the value.</summary>
    public StatusCode Status { get; init; }

    /// <summary>When the source produced the value; null when absent.</summary>
    public DateTime? SourceTimestamp
    {
        get => _hasSourceTimestamp ? _sourceTimestamp : null;
        init
        {
            _sourceTimestamp = value.GetValueOrDefault();
            _hasSourceTimestamp = value.HasValue;
        }
    }

    /// <summary>10 ps intervals added to the source timestamp.</summary>
    public ushort SourcePicoseconds { get; init; }

    /// <summary>When the server received or produced the value; null when absent.</summary>
    public DateTime? ServerTimestamp
    {
        get => _hasServerTimestamp ? _serverTimestamp : null;
        init
        {
            _serverTimestamp = value.GetValueOrDefault();
            _hasServerTimestamp = value.HasValue;
        }
    }

    /// <summary>10 ps intervals added to the server timestamp.</summary>
    public ushort ServerPicoseconds { get; init; }
}
