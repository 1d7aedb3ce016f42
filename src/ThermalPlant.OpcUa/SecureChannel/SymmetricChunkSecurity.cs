using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.SecureChannel;

/// <summary>
/// MSG and CLO chunks under one token (Part 6, 6.7.2): HMAC-SHA256 over header to padding, and in SignAndEncrypt
/// AES-CBC from the sequence header to the signature, padded to whole blocks with one PaddingSize byte.
/// </summary>
public sealed class SymmetricChunkSecurity(SymmetricKeys keys, bool encrypt) : ChunkSecurity
{
    private const int Signature = SymmetricKeys.SignatureLength;
    private const int Block = SymmetricKeys.BlockSize;

    /// <inheritdoc />
    public override int MaxBodyLength(int chunkLimit, int headerLength) => encrypt
        ? ((chunkLimit - headerLength) / Block * Block) - SequenceHeader.Length - Signature - 1
        : chunkLimit - headerLength - SequenceHeader.Length - Signature;

    /// <inheritdoc />
    public override int ChunkLength(int headerLength, int bodyLength) => headerLength + EncryptedLength(bodyLength);

    /// <inheritdoc />
    public override void Protect(Span<byte> chunk, int headerLength, int bodyLength)
    {
        var signatureAt = chunk.Length - Signature;
        if (encrypt)
        {
            var start = headerLength + SequenceHeader.Length + bodyLength;
            // PaddingSize and every padding byte carry the number of padding bytes (Part 6, 6.7.2.5).
            chunk[start..signatureAt].Fill((byte)(signatureAt - start - 1));
        }
        keys.Sign(chunk[..signatureAt], chunk[signatureAt..]);
        if (encrypt) keys.Encrypt(chunk[headerLength..]);
    }

    /// <inheritdoc />
    public override int Unprotect(Span<byte> chunk, int headerLength)
    {
        var secured = chunk.Length - headerLength;
        if (secured < SequenceHeader.Length + Signature + (encrypt ? 1 : 0)) throw Failed("the chunk is too short for its signature");
        if (encrypt) keys.Decrypt(chunk[headerLength..]);
        var signatureAt = chunk.Length - Signature;
        if (!keys.Verify(chunk[..signatureAt], chunk[signatureAt..])) throw Failed("the chunk's signature is wrong");
        if (!encrypt) return secured - Signature;
        var padding = chunk[signatureAt - 1];
        var paddingStart = signatureAt - 1 - padding;
        if (paddingStart < headerLength + SequenceHeader.Length) throw Failed("the padding is longer than the chunk");
        if (chunk[paddingStart..signatureAt].IndexOfAnyExcept(padding) >= 0) throw Failed("the padding bytes are wrong");
        return paddingStart - headerLength;
    }

    private int EncryptedLength(int bodyLength)
    {
        var plain = SequenceHeader.Length + bodyLength + Signature;
        if (!encrypt) return plain;
        plain++;
        return (plain + Block - 1) / Block * Block;
    }

    private static OpcUaException Failed(string reason) => new(StatusCodes.BadSecurityChecksFailed, reason);
}
