using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Transport;

/// <summary>The client's Hello (Part 6, 7.1.2.3): its protocol version, limits and the endpoint URL it wants.</summary>
/// <param name="ProtocolVersion">The client's UA TCP protocol version (0).</param>
/// <param name="Limits">The client's receive and send buffer sizes and message limits.</param>
/// <param name="EndpointUrl">The URL the client connects to, at most 4096 bytes.</param>
public sealed record HelloMessage(uint ProtocolVersion, TransportLimits Limits, string? EndpointUrl)
{
    /// <summary>Longest endpoint URL accepted (Part 6, 7.1.2.3).</summary>
    public const int MaxEndpointUrlLength = 4096;

    /// <summary>Decodes a Hello body (after the message header).</summary>
    public static HelloMessage Decode(ReadOnlySpan<byte> body)
    {
        var decoder = new BinaryDecoder(body, new EncodingLimits { MaxStringLength = MaxEndpointUrlLength });
        try
        {
            var version = decoder.ReadUInt32();
            var limits = new TransportLimits
            {
                ReceiveBufferSize = decoder.ReadUInt32(),
                SendBufferSize = decoder.ReadUInt32(),
                MaxMessageSize = decoder.ReadUInt32(),
                MaxChunkCount = decoder.ReadUInt32(),
            };
            return new HelloMessage(version, limits, decoder.ReadString());
        }
        catch (OpcUaException ex) when (ex.Status.Code == StatusCodes.BadEncodingLimitsExceeded)
        {
            throw new OpcUaException(StatusCodes.BadTcpEndpointUrlInvalid, "endpoint URL longer than 4096 bytes");
        }
    }

    /// <summary>Encodes the Hello body.</summary>
    public void Encode(BinaryEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        encoder.WriteUInt32(ProtocolVersion);
        encoder.WriteUInt32(Limits.ReceiveBufferSize);
        encoder.WriteUInt32(Limits.SendBufferSize);
        encoder.WriteUInt32(Limits.MaxMessageSize);
        encoder.WriteUInt32(Limits.MaxChunkCount);
        encoder.WriteString(EndpointUrl);
    }
}
