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
        encoder.WriteNodeId(message.EncodingId);
        message.Encode(encoder);
    }

    /// <summary>
    /// Reads a message; an id that is not a known namespace-0 encoding is BadServiceUnsupported, trailing bytes
    /// BadDecodingError. NodeIds decoded before are taken from <paramref name="nodeIds"/> when it is given.
    /// </summary>
    public static IEncodeable Read(ReadOnlySpan<byte> body, EncodingLimits? limits = null, NodeIdCache? nodeIds = null)
    {
        var decoder = new BinaryDecoder(body, limits, nodeIds);
        // The id is read without making a NodeId: every request has one.
        if (!decoder.TryReadNumericNodeId(out var ns, out var id) || ns != 0)
        {
            throw new OpcUaException(StatusCodes.BadServiceUnsupported, "the message type is not a numeric id of namespace 0");
        }
        var message = EncodeableTypes.Decode(id, ref decoder)
            ?? throw new OpcUaException(StatusCodes.BadServiceUnsupported, $"message type i={id}");
        if (decoder.Remaining != 0) throw new OpcUaException(StatusCodes.BadDecodingError, $"{decoder.Remaining} bytes after the message");
        return message;
    }
}
