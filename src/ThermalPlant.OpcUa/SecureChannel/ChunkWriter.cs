using System.Buffers.Binary;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Transport;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.SecureChannel;

/// <summary>
/// Splits a message body into secure channel chunks no larger than the peer's receive buffer (Part 6, 6.7.2):
/// each chunk carries the message header, the channel id, the security header, a fresh sequence number and
/// the request id, and is then signed and encrypted as its <see cref="ChunkSecurity"/> says. A message that would
/// need more chunks or bytes than the peer accepts is refused whole.
/// </summary>
public sealed class ChunkWriter(TransportLimits peer, uint tooLargeStatus)
{
    private uint _sequenceNumber;

    /// <summary>Starts sequence numbers after <paramref name="last"/> (a client starts anywhere below 1024; so do we).</summary>
    public void ContinueAfter(uint last) => _sequenceNumber = last;

    /// <summary>Frames <paramref name="body"/> as chunks of <paramref name="type"/>, all in one buffer ready to send.</summary>
    public byte[] Frame(MessageType type, uint channelId, ReadOnlySpan<byte> securityHeader, uint requestId, ReadOnlySpan<byte> body, ChunkSecurity security)
    {
        ArgumentNullException.ThrowIfNull(security);
        var headerLength = MessageHeader.Length + 4 + securityHeader.Length;
        var perChunk = security.MaxBodyLength((int)peer.ReceiveBufferSize, headerLength);
        if (perChunk <= 0) throw new OpcUaException(StatusCodes.BadTcpInternalError, "the peer's receive buffer cannot hold the headers");
        var chunks = Math.Max(1, (body.Length + perChunk - 1) / perChunk);
        if (type != MessageType.Message && chunks > 1)
        {
            throw new OpcUaException(tooLargeStatus, $"{type} must fit one chunk of {peer.ReceiveBufferSize} bytes");
        }
        if ((peer.MaxChunkCount != 0 && chunks > peer.MaxChunkCount) || (peer.MaxMessageSize != 0 && body.Length > peer.MaxMessageSize))
        {
            throw new OpcUaException(tooLargeStatus, $"message of {body.Length} bytes needs {chunks} chunks; the peer accepts {peer.MaxChunkCount} chunks and {peer.MaxMessageSize} bytes");
        }

        var total = 0;
        for (var i = 0; i < chunks; i++) total += security.ChunkLength(headerLength, PartLength(i, perChunk, body.Length));
        var frame = new byte[total];
        var at = 0;
        for (var i = 0; i < chunks; i++)
        {
            var partLength = PartLength(i, perChunk, body.Length);
            var size = security.ChunkLength(headerLength, partLength);
            var chunk = frame.AsSpan(at, size);
            new MessageHeader(type, i == chunks - 1 ? ChunkType.Final : ChunkType.Intermediate, (uint)size).Write(chunk);
            BinaryPrimitives.WriteUInt32LittleEndian(chunk[MessageHeader.Length..], channelId);
            securityHeader.CopyTo(chunk[(MessageHeader.Length + 4)..]);
            BinaryPrimitives.WriteUInt32LittleEndian(chunk[headerLength..], ++_sequenceNumber);
            BinaryPrimitives.WriteUInt32LittleEndian(chunk[(headerLength + 4)..], requestId);
            body.Slice(i * perChunk, partLength).CopyTo(chunk[(headerLength + SequenceHeader.Length)..]);
            security.Protect(chunk, headerLength, partLength);
            at += size;
        }
        return frame;
    }

    private static int PartLength(int index, int perChunk, int bodyLength) => Math.Min(perChunk, bodyLength - (index * perChunk));
}
