using ThermalPlant.OpcUa.Encoding;

namespace ThermalPlant.OpcUa.Transport;

/// <summary>The server's Acknowledge (Part 6, 7.1.2.4): the limits it will use on this connection.</summary>
/// <param name="ProtocolVersion">The server's protocol version (0).</param>
/// <param name="Limits">The revised limits.</param>
public sealed record AcknowledgeMessage(uint ProtocolVersion, TransportLimits Limits)
{
    /// <summary>Decodes an Acknowledge body.</summary>
    public static AcknowledgeMessage Decode(ReadOnlySpan<byte> body)
    {
        var decoder = new BinaryDecoder(body);
        return new AcknowledgeMessage(decoder.ReadUInt32(), new TransportLimits
        {
            ReceiveBufferSize = decoder.ReadUInt32(),
            SendBufferSize = decoder.ReadUInt32(),
            MaxMessageSize = decoder.ReadUInt32(),
            MaxChunkCount = decoder.ReadUInt32(),
        });
    }

    /// <summary>Encodes the Acknowledge body.</summary>
    public void Encode(BinaryEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        encoder.WriteUInt32(ProtocolVersion);
        encoder.WriteUInt32(Limits.ReceiveBufferSize);
        encoder.WriteUInt32(Limits.SendBufferSize);
        encoder.WriteUInt32(Limits.MaxMessageSize);
        encoder.WriteUInt32(Limits.MaxChunkCount);
    }
}
