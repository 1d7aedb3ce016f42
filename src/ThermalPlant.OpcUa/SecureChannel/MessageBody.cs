using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.SecureChannel;

/// <summary>A service message as carried in a secure channel message: its encoding NodeId, then its fields (Part 6, 7.1.2.1).</summary>
public static class MessageBody
{
    /// <summary>Writes <paramref name="message"/> with its DefaultBinary encoding id.</summary>
    public static void Write(BinaryEncoder encoder, IEncodeable message)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(message);
        encoder.WriteNodeId(NodeId.Of(message.EncodingId));
        message.Encode(encoder);
    }

    /// <summary>Reads a message; an id that is not a known namespace-0 encoding is BadServiceUnsupported, trailing bytes BadDecodingError.</summary>
    public static IEncodeable Read(ReadOnlySpan<byte> body, EncodingLimits? limits = null)
    {
        var decoder = new BinaryDecoder(body, limits);
        var typeId = decoder.ReadNodeId();
        if (typeId.NamespaceIndex != 0 || typeId.IdType != NodeIdType.Numeric)
        {
            throw new OpcUaException(StatusCodes.BadServiceUnsupported, $"message type {typeId}");
        }
        var message = EncodeableTypes.Decode(typeId.Numeric, ref decoder)
            ?? throw new OpcUaException(StatusCodes.BadServiceUnsupported, $"message type {typeId}");
        if (decoder.Remaining != 0) throw new OpcUaException(StatusCodes.BadDecodingError, $"{decoder.Remaining} bytes after the message");
        return message;
    }
}
