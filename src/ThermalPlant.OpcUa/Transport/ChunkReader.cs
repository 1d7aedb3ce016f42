using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Transport;

/// <summary>
/// Reads chunks from a stream through one buffer, taking whatever the socket holds on each receive: a client with
/// several requests in flight costs one receive for all of them, where reading the header and then the body cost two
/// per chunk. Each chunk's header is checked before its body is used: a chunk larger than the reader's largest
/// (the receive buffer the server offers) is BadTcpMessageTooLarge before anything more is read. A chunk stays
/// valid (and may be decrypted in place) until the next <see cref="ReadAsync"/>. The reads' state machines are pooled:
/// a read that waits for the peer allocates nothing.
/// </summary>
/// <remarks>
/// The buffer is rented from a pool at <see cref="InitialSize"/>, which holds a Hello and the usual requests, and grows
/// only when a chunk's header announces more; once everything received was read, a grown buffer goes back to the pool
/// and the reader returns to its initial size. So a connection that is idle, or reads a few values at a time, holds
/// 8 KB, where renting the negotiated receive buffer (64 KB by default) at the start cost every connection that much.
/// Dispose the reader to return its buffer.
/// </remarks>
internal sealed class ChunkReader : IDisposable
{
    /// <summary>Bytes of the buffer a connection keeps while its chunks are small: the smallest receive buffer UA TCP allows (a Hello fits).</summary>
    public const int InitialSize = (int)TransportLimits.MinBufferSize;

    private readonly Stream _stream;
    private readonly ArrayPool<byte> _pool;
    private readonly int _maxChunkSize;
    private readonly int _initialLength;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private int _next;

    /// <summary>
    /// A reader of chunks of at most <paramref name="maxChunkSize"/> bytes (never less than <see cref="InitialSize"/>)
    /// from <paramref name="stream"/>, its buffer rented from <paramref name="pool"/> (the shared pool when null).
    /// </summary>
    public ChunkReader(Stream stream, uint maxChunkSize, ArrayPool<byte>? pool = null)
    {
        _stream = stream;
        _pool = pool ?? ArrayPool<byte>.Shared;
        _maxChunkSize = (int)Math.Clamp(maxChunkSize, (uint)InitialSize, (uint)Array.MaxLength);
        _buffer = _pool.Rent(InitialSize);
        _initialLength = _buffer.Length;
    }

    /// <summary>Bytes of the buffer the reader holds now.</summary>
    public int BufferSize => _buffer.Length;

    /// <summary>Whether the next chunk is in the buffer whole, so that reading it does not wait for the peer.</summary>
    public bool HasBufferedChunk
    {
        get
        {
            var available = _end - _next;
            if (available < MessageHeader.Length) return false;
            var size = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(_next + 4));
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
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        _start = _next;
        if (_start == _end)
        {
            // Everything received was read: the next receive starts at the buffer's start, in the initial buffer.
            _start = _end = _next = 0;
            if (_buffer.Length > _initialLength) Replace(InitialSize);
        }
        while (_end - _start < MessageHeader.Length)
        {
            if (!await FillAsync(cancellationToken)) return _end == _start ? null : throw new EndOfStreamException();
        }
        var header = MessageHeader.Read(_buffer.AsSpan(_start, MessageHeader.Length));
        check(header);
        if (header.Size > _maxChunkSize) throw new OpcUaException(StatusCodes.BadTcpMessageTooLarge, $"chunk of {header.Size} bytes exceeds the receive buffer of {_maxChunkSize}");
        var size = (int)header.Size;
        // Room for the chunk and for what may come with it, up to the largest chunk: a client reading a thousand values per
        // request then costs one or two receives per request, not one per initial buffer.
        if (size > _buffer.Length) Replace((int)Math.Min(_maxChunkSize, BitOperations.RoundUpToPowerOf2((uint)size)));
        while (_end - _start < size)
        {
            if (!await FillAsync(cancellationToken)) throw new EndOfStreamException();
        }
        _next = _start + size;
        return (header, _buffer.AsMemory(_start, size));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_buffer.Length == 0) return;
        _pool.Return(_buffer);
        _buffer = [];
        _start = _end = _next = 0;
    }

    /// <summary>Moves what is buffered and not read yet to the start of a buffer of at least <paramref name="size"/> bytes; the old one goes back to the pool.</summary>
    private void Replace(int size)
    {
        var replacement = _pool.Rent(size);
        _buffer.AsSpan(_start, _end - _start).CopyTo(replacement);
        _pool.Return(_buffer);
        _buffer = replacement;
        _end -= _start;
        _next -= _start;
        _start = 0;
    }

    /// <summary>Moves the partial chunk to the buffer's start, then receives what the socket has; false at its end.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
            _next = 0;
        }
        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        _end += read;
        return read > 0;
    }
}
