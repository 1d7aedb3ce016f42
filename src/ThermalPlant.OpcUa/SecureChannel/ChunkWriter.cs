using System.Buffers;
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
        var frame = new byte[Length(type, securityHeader.Length, body.Length, security)];
        Write(frame, type, channelId, securityHeader, requestId, body, security);
        return frame;
    }

    /// <summary>
    /// Frames <paramref name="body"/> as <see cref="Frame"/> does, into an array rented from <see cref="ArrayPool{T}.Shared"/>
    /// (a server's large Publish and Read responses then cost no new array each); the caller returns it once sent.
    /// </summary>
    public ArraySegment<byte> FrameRented(MessageType type, uint channelId, ReadOnlySpan<byte> securityHeader, uint requestId, ReadOnlySpan<byte> body, ChunkSecurity security)
    {
        var length = Length(type, securityHeader.Length, body.Length, security);
        var frame = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            Write(frame.AsSpan(0, length), type, channelId, securityHeader, requestId, body, security);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(frame);
            throw;
        }
        return new ArraySegment<byte>(frame, 0, length);
    }

    /// <summary>Bytes of the frame that carries <paramref name="bodyLength"/> bytes; refuses a message the peer does not accept.</summary>
    private int Length(MessageType type, int securityHeaderLength, int bodyLength, ChunkSecurity security)
    {
        ArgumentNullException.ThrowIfNull(security);
        var headerLength = MessageHeader.Length + 4 + securityHeaderLength;
        var perChunk = security.MaxBodyLength((int)peer.ReceiveBufferSize, headerLength);
        if (perChunk <= 0) throw new OpcUaException(StatusCodes.BadTcpInternalError, "the peer's receive buffer cannot hold the headers");
        var chunks = Math.Max(1, (bodyLength + perChunk - 1) / perChunk);
        if (type != MessageType.Message && chunks > 1)
        {
            throw new OpcUaException(tooLargeStatus, $"{type} must fit one chunk of {peer.ReceiveBufferSize} bytes");
        }
        if ((peer.MaxChunkCount != 0 && chunks > peer.MaxChunkCount) || (peer.MaxMessageSize != 0 && bodyLength > peer.MaxMessageSize))
        {
            throw new OpcUaException(tooLargeStatus, $"message of {bodyLength} bytes needs {chunks} chunks; the peer accepts {peer.MaxChunkCount} chunks and {peer.MaxMessageSize} bytes");
        }

        var total = 0;
        for (var i = 0; i < chunks; i++) total += security.ChunkLength(headerLength, PartLength(i, perChunk, bodyLength));
        return total;
    }

    private void Write(Span<byte> frame, MessageType type, uint channelId, ReadOnlySpan<byte> securityHeader, uint requestId, ReadOnlySpan<byte> body, ChunkSecurity security)
    {
        var headerLength = MessageHeader.Length + 4 + securityHeader.Length;
        var perChunk = security.MaxBodyLength((int)peer.ReceiveBufferSize, headerLength);
        var chunks = Math.Max(1, (body.Length + perChunk - 1) / perChunk);
        var at = 0;
        for (var i = 0; i < chunks; i++)
        {
            var partLength = PartLength(i, perChunk, body.Length);
            var size = security.ChunkLength(headerLength, partLength);
            var chunk = frame.Slice(at, size);
            new MessageHeader(type, i == chunks - 1 ? ChunkType.Final : ChunkType.Intermediate, (uint)size).Write(chunk);
            BinaryPrimitives.WriteUInt32LittleEndian(chunk[MessageHeader.Length..], channelId);
            securityHeader.CopyTo(chunk[(MessageHeader.Length + 4)..]);
            BinaryPrimitives.WriteUInt32LittleEndian(chunk[headerLength..], ++_sequenceNumber);
            BinaryPrimitives.WriteUInt32LittleEndian(chunk[(headerLength + 4)..], requestId);
            body.Slice(i * perChunk, partLength).CopyTo(chunk[(headerLength + SequenceHeader.Length)..]);
            security.Protect(chunk, headerLength, partLength);
            at += size;
        }
    }

    private static int PartLength(int index, int perChunk, int bodyLength) => Math.Min(perChunk, bodyLength - (index * perChunk));
}
