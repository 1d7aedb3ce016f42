using ThermalPlant.OpcUa.Encoding;

namespace ThermalPlant.OpcUa.SecureChannel;

/// <summary>The sequence header of every secure channel chunk (Part 6, 6.7.2.4).</summary>
/// <param name="SequenceNumber">Increases by one with every chunk the sender sends.</param>
/// <param name="RequestId">Matches a response to its request; the same in all chunks of one message.</param>
public readonly record struct SequenceHeader(uint SequenceNumber, uint RequestId)
{
    /// <summary>Bytes of the header.</summary>
    public const int Length = 8;

    /// <summary>Reads the header.</summary>
    public static SequenceHeader Read(ref BinaryDecoder decoder) => new(decoder.ReadUInt32(), decoder.ReadUInt32());

    /// <summary>Writes the header.</summary>
    public void Write(BinaryEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        encoder.WriteUInt32(SequenceNumber);
        encoder.WriteUInt32(RequestId);
    }
}
