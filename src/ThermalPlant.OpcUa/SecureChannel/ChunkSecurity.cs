namespace ThermalPlant.OpcUa.SecureChannel;

/// <summary>
/// How the chunks of one direction are secured (Part 6, 6.7.2). A chunk is laid out as
/// <c>header | sequence header | body | padding | signature</c>, where header is the message header, the channel id and
/// the security header, left in clear; sign covers everything before the signature, encryption everything after the
/// header. Implementations work in place on the chunk's bytes.
/// </summary>
public abstract class ChunkSecurity
{
    /// <summary>Chunks in clear (SecurityPolicy None).</summary>
    public static ChunkSecurity None { get; } = new PlainChunkSecurity();

    /// <summary>The largest body one chunk of at most <paramref name="chunkLimit"/> bytes carries after <paramref name="headerLength"/> bytes of header.</summary>
    public abstract int MaxBodyLength(int chunkLimit, int headerLength);

    /// <summary>Bytes of the secured chunk that carries <paramref name="bodyLength"/> bytes of body.</summary>
    public abstract int ChunkLength(int headerLength, int bodyLength);

    /// <summary>
    /// Secures <paramref name="chunk"/> (exactly <see cref="ChunkLength"/> bytes, its message header already carrying that
    /// size) whose header, sequence header and body are written: pads, signs and encrypts in place.
    /// </summary>
    public abstract void Protect(Span<byte> chunk, int headerLength, int bodyLength);

    /// <summary>
    /// Decrypts and verifies a received chunk in place; returns the bytes of sequence header and body that follow the
    /// header (padding and signature removed). A chunk that fails is BadSecurityChecksFailed.
    /// </summary>
    public abstract int Unprotect(Span<byte> chunk, int headerLength);
}
