using System.Buffers.Binary;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Transport;

/// <summary>The 8-byte header of every UA TCP message chunk: type, chunk type, size including the header (Part 6, 7.1.2.2).</summary>
/// <param name="Type">The message type.</param>
/// <param name="Chunk">The chunk type.</param>
/// <param name="Size">Bytes of the chunk, header included.</param>
public readonly record struct MessageHeader(MessageType Type, ChunkType Chunk, uint Size)
{
    /// <summary>Bytes of the header.</summary>
    public const int Length = 8;

    /// <summary>Parses and checks a header: a known type, a chunk type allowed for it, a size that holds at least the header.</summary>
    public static MessageHeader Read(ReadOnlySpan<byte> bytes)
    {
        var raw = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        var type = (MessageType)(raw & 0x00FFFFFF);
        var chunk = (ChunkType)(raw >> 24);
        var size = BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]);
        if (!Enum.IsDefined(type)) throw new OpcUaException(StatusCodes.BadTcpMessageTypeInvalid, $"message type 0x{raw & 0x00FFFFFF:X6}");
        var secure = type is MessageType.OpenSecureChannel or MessageType.Message or MessageType.CloseSecureChannel;
        // Only MSG may be split or aborted; everything else is a single final chunk (Part 6, 6.7.2.2).
        var chunkAllowed = chunk == ChunkType.Final || (type == MessageType.Message && chunk is ChunkType.Intermediate or ChunkType.Abort);
        if (!chunkAllowed) throw new OpcUaException(StatusCodes.BadTcpMessageTypeInvalid, $"chunk type '{(char)chunk}' for {type}");
        if (size < Length + (secure ? 4u : 0u)) throw new OpcUaException(StatusCodes.BadTcpMessageTypeInvalid, $"message size {size} is smaller than its header");
        return new MessageHeader(type, chunk, size);
    }

    /// <summary>Writes the header.</summary>
    public void Write(Span<byte> bytes)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)Type | ((uint)Chunk << 24));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[4..], Size);
    }
}
