using System.Buffers;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Transport;

/// <summary>
/// Joins the bodies of a message's chunks into one buffer, enforcing the negotiated limits as each chunk
/// arrives: a chunk larger than the receive buffer, a message beyond MaxMessageSize or more chunks than
/// MaxChunkCount is BadTcpMessageTooLarge before its bytes are kept. An abort chunk discards the message.
/// The buffer is pooled, rented when a message of several chunks arrives: <see cref="ReleaseBuffer"/> gives it back
/// between messages, and disposing the assembler when the connection ends does too.
/// </summary>
public sealed class ChunkAssembler : IDisposable
{
    private readonly TransportLimits _limits;
    private byte[] _buffer = [];
    private int _length;
    private int _chunks;

    /// <summary>Creates an assembler for a connection with the agreed <paramref name="limits"/>.</summary>
    public ChunkAssembler(TransportLimits limits) => _limits = limits;

    /// <summary>Bytes of the buffer held for joining chunks (0 when none is held).</summary>
    public int BufferSize => _buffer.Length;

    /// <summary>Checks a chunk's header against the limits before its body is read.</summary>
    public void CheckHeader(MessageHeader header)
    {
        if (header.Size > _limits.ReceiveBufferSize)
        {
            throw new OpcUaException(StatusCodes.BadTcpMessageTooLarge, $"chunk of {header.Size} bytes exceeds the receive buffer of {_limits.ReceiveBufferSize}");
        }
        if (_limits.MaxChunkCount != 0 && _chunks + 1 > _limits.MaxChunkCount && header.Chunk != ChunkType.Abort)
        {
            throw new OpcUaException(StatusCodes.BadTcpMessageTooLarge, $"message of more than {_limits.MaxChunkCount} chunks");
        }
    }

    /// <summary>
    /// Adds a chunk's body (the part after the headers that belongs to the message). Returns the whole message
    /// when the chunk was final, an empty span otherwise (an abort chunk clears what was gathered). The message is valid
    /// until the next call and while <paramref name="body"/> is: a message of one chunk is <paramref name="body"/> itself, not a copy.
    /// </summary>
    public ReadOnlySpan<byte> Add(ChunkType chunk, ReadOnlySpan<byte> body)
    {
        if (chunk == ChunkType.Abort)
        {
            Reset();
            return [];
        }
        if (_limits.MaxMessageSize != 0 && (long)_length + body.Length > _limits.MaxMessageSize)
        {
            Reset();
            throw new OpcUaException(StatusCodes.BadTcpMessageTooLarge, $"message larger than {_limits.MaxMessageSize} bytes");
        }
        // Most messages are one chunk: nothing to join, so nothing is copied.
        if (chunk == ChunkType.Final && _length == 0)
        {
            _chunks = 0;
            return body;
        }
        if (_length + body.Length > _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_length + body.Length, _buffer.Length * 2));
            _buffer.AsSpan(0, _length).CopyTo(larger);
            if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
        body.CopyTo(_buffer.AsSpan(_length));
        _length += body.Length;
        _chunks++;
        if (chunk != ChunkType.Final) return [];
        var message = _buffer.AsSpan(0, _length);
        _length = 0;
        _chunks = 0;
        return message;
    }

    /// <summary>
    /// Gives the join buffer back to the pool when no message is being gathered, so that a connection that once received a
    /// large message does not keep its buffer; a message <see cref="Add"/> returned from it is no longer valid.
    /// </summary>
    public void ReleaseBuffer()
    {
        if (_length == 0) Dispose();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private void Reset()
    {
        _length = 0;
        _chunks = 0;
    }
}
