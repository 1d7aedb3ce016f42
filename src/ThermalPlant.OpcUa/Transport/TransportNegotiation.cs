using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Transport;

/// <summary>How a server answers a Hello (Part 6, 7.1.2.3 and 7.1.2.4).</summary>
public static class TransportNegotiation
{
    /// <summary>The UA TCP protocol version this stack speaks.</summary>
    public const uint ProtocolVersion = 0;

    /// <summary>
    /// The Acknowledge for <paramref name="hello"/> given what the server offers: each side sends chunks no
    /// larger than the other receives, buffers of at least 8192 bytes, and the smaller non-zero message limits.
    /// Throws the status code the Error message must carry when the Hello cannot be accepted.
    /// </summary>
    public static AcknowledgeMessage Accept(HelloMessage hello, TransportLimits server)
    {
        ArgumentNullException.ThrowIfNull(hello);
        ArgumentNullException.ThrowIfNull(server);
        if (hello.Limits.ReceiveBufferSize < TransportLimits.MinBufferSize || hello.Limits.SendBufferSize < TransportLimits.MinBufferSize)
        {
            throw new OpcUaException(StatusCodes.BadTcpInternalError, $"buffer sizes below {TransportLimits.MinBufferSize} bytes");
        }
        return new AcknowledgeMessage(ProtocolVersion, new TransportLimits
        {
            ReceiveBufferSize = Math.Min(server.ReceiveBufferSize, hello.Limits.SendBufferSize),
            SendBufferSize = Math.Min(server.SendBufferSize, hello.Limits.ReceiveBufferSize),
            MaxMessageSize = SmallerLimit(server.MaxMessageSize, hello.Limits.MaxMessageSize),
            MaxChunkCount = SmallerLimit(server.MaxChunkCount, hello.Limits.MaxChunkCount),
        });
    }

    // 0 means "no limit", so it loses to any actual limit.
    private static uint SmallerLimit(uint a, uint b) => a == 0 ? b : b == 0 ? a : Math.Min(a, b);
}
