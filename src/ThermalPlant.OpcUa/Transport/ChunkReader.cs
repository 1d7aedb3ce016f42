using System.Runtime.CompilerServices;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Transport;

/// <summary>
/// Reads chunks from a stream through one buffer, taking whatever the socket holds on each receive: a client with
/// several requests in flight costs one receive for all of them, where reading the header and then the body cost two
/// per chunk. Each chunk's header is checked before its body is used, and a chunk must fit the buffer. A chunk stays
/// valid (and may be decrypted in place) until the next <see cref="ReadAsync"/>. The reads' state machines are pooled:
/// a read that waits for the peer allocates nothing.
/// </summary>
internal sealed class ChunkReader(Stream stream, byte[] buffer)
{
    private int _start;
    private int _end;
    private int _next;

    /// <summary>Whether the next chunk is in the buffer whole, so that reading it does not wait for the peer.</summary>
    public bool HasBufferedChunk
    {
        get
        {
            var available = _end - _next;
            if (available < MessageHeader.Length) return false;
            var size = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(_next + 4));
            return size <= available;
        }
    }

    /// <summary>
    /// Reads the next chunk after <paramref name="check"/> accepted its header; null when the peer closed cleanly
    /// between chunks. The chunk is its header and body.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<(MessageHeader Header, Memory<byte> Chunk)?> ReadAsync(Action<MessageHeader> check, CancellationToken cancellationToken)
    {
        _start = _next;
        while (_end - _start < MessageHeader.Length)
        {
            if (!await FillAsync(cancellationToken)) return _end == _start ? null : throw new EndOfStreamException();
        }
        var header = MessageHeader.Read(buffer.AsSpan(_start, MessageHeader.Length));
        check(header);
        if (header.Size > buffer.Length) throw new OpcUaException(StatusCodes.BadTcpMessageTooLarge, $"chunk of {header.Size} bytes");
        while (_end - _start < header.Size)
        {
            if (!await FillAsync(cancellationToken)) throw new EndOfStreamException();
        }
        _next = _start + (int)header.Size;
        return (header, buffer.AsMemory(_start, (int)header.Size));
    }

    /// <summary>Moves the partial chunk to the buffer's start, then receives what the socket has; false at its end.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            buffer.AsSpan(_start, _end - _start).CopyTo(buffer);
            _end -= _start;
            _start = 0;
            _next = 0;
        }
        var read = await stream.ReadAsync(buffer.AsMemory(_end), cancellationToken);
        _end += read;
        return read > 0;
    }
}
