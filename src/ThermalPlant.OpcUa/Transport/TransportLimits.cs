namespace ThermalPlant.OpcUa.Transport;

/// <summary>The buffer and message limits one side of a UA TCP connection offers, or both agreed on (Part 6, 7.1.2.3).</summary>
public sealed record TransportLimits
{
    /// <summary>The smallest buffer either side may offer (Part 6, 7.1.2.3).</summary>
    public const uint MinBufferSize = 8192;

    /// <summary>Largest chunk this side receives.</summary>
    public uint ReceiveBufferSize { get; init; } = 65535;

    /// <summary>Largest chunk this side sends.</summary>
    public uint SendBufferSize { get; init; } = 65535;

    /// <summary>Largest message (all chunks) this side receives; 0 for no limit.</summary>
    public uint MaxMessageSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>Most chunks of one message this side receives; 0 for no limit.</summary>
    public uint MaxChunkCount { get; init; } = 512;

    /// <summary>The defaults.</summary>
    public static TransportLimits Default { get; } = new();
}
