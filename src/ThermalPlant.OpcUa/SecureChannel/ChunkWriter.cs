using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Transport;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.SecureChannel;

/// <summary>
/// Splits a message body into secure channel chunks no larger than the peer's receive buffer (Part 6, 6.7.2):
/// each chunk carries the message header, the channel id, the security header, a fresh sequence number and
/// the request id. A message that would need more chunks or bytes than the peer accepts is refused whole.
/// </summary>
public sealed class ChunkWriter(TransportLimits peer, uint tooLargeStatus)
{
    private uint _sequenceNumber;

    /// <summary>Starts sequence numbers after <paramref name="last"/> (a client starts anywhere below 1024; so do we).</summary>
    public void ContinueAfter(uint last) => _sequenceNumber = last;

    /// <summary>Frames <paramref name="body"/> as chunks of <paramref name="type"/>, all in one buffer ready to send.</summary>
    public byte[] Frame(MessageType type, uint channelId, ReadOnlySpan<byte> securityHeader, uint requestId, ReadOnlySpan<byte> body)
    {
        var overhead = MessageHeader.Length + 4 + securityHeader.Length + SequenceHeader.Length;
        var perChunk = (int)peer.ReceiveBufferSize - overhead;
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

        using var encoder = new BinaryEncoder(body.Length + (chunks * overhead));
        Span<byte> header = stackalloc byte[MessageHeader.Length];
        for (var i = 0; i < chunks; i++)
        {
            var part = body.Slice(i * perChunk, Math.Min(perChunk, body.Length - (i * perChunk)));
            var size = (uint)(overhead + part.Length);
            new MessageHeader(type, i == chunks - 1 ? ChunkType.Final : ChunkType.Intermediate, size).Write(header);
            encoder.WriteRaw(header);
            encoder.WriteUInt32(channelId);
            encoder.WriteRaw(securityHeader);
            new SequenceHeader(++_sequenceNumber, requestId).Write(encoder);
            encoder.WriteRaw(part);
        }
        return encoder.Written.ToArray();
    }
}
