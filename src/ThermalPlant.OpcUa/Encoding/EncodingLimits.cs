namespace ThermalPlant.OpcUa.Encoding;

/// <summary>
/// Bounds on what a decoder accepts, checked before anything is allocated (Part 6, 5.2.2; the transport
/// negotiates MaxMessageSize, the rest are the stack's own). A violation is BadEncodingLimitsExceeded.
/// </summary>
public sealed record EncodingLimits
{
    /// <summary>Longest String in bytes.</summary>
    public int MaxStringLength { get; init; } = 1 << 20;

    /// <summary>Longest ByteString in bytes.</summary>
    public int MaxByteStringLength { get; init; } = 1 << 24;

    /// <summary>Most elements of an array (or of a matrix, all dimensions together).</summary>
    public int MaxArrayLength { get; init; } = 1 << 20;

    /// <summary>Deepest nesting of Variants, DataValues, DiagnosticInfos and ExtensionObjects (Part 6 recommends 100).</summary>
    public int MaxNestingDepth { get; init; } = 100;

    /// <summary>The defaults.</summary>
    public static EncodingLimits Default { get; } = new();
}
