using System.Buffers;
using System.Security.Cryptography;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.SecureChannel;

/// <summary>
/// OPN chunks under a policy other than None (Part 6, 6.7.2): always signed with the sender's private key and
/// encrypted with the receiver's public key, in RSA blocks, padded so the plain text fills whole blocks. Keys larger
/// than 2048 bits carry a second, ExtraPaddingSize byte.
/// </summary>
/// <param name="policy">The channel's policy.</param>
/// <param name="localKey">This side's private key: signs what is sent, decrypts what is received.</param>
/// <param name="remoteKey">The peer's public key: encrypts what is sent, verifies what is received.</param>
public sealed class AsymmetricChunkSecurity(SecurityPolicy policy, RSA localKey, RSA remoteKey) : ChunkSecurity
{
    /// <summary>Most RSA blocks a received chunk may hold.</summary>
    public const int MaxBlocks = 16;

    /// <inheritdoc />
    public override int MaxBodyLength(int chunkLimit, int headerLength)
    {
        var cipherBlock = remoteKey.KeySize / 8;
        var blocks = (chunkLimit - headerLength) / cipherBlock;
        return (blocks * policy.PlainTextBlockSize(remoteKey)) - SequenceHeader.Length - (localKey.KeySize / 8) - PaddingSizeBytes(remoteKey);
    }

    /// <inheritdoc />
    public override int ChunkLength(int headerLength, int bodyLength) =>
        headerLength + (PlainLength(bodyLength) / policy.PlainTextBlockSize(remoteKey) * (remoteKey.KeySize / 8));

    /// <inheritdoc />
    public override void Protect(Span<byte> chunk, int headerLength, int bodyLength)
    {
        var plainLength = PlainLength(bodyLength);
        var signatureLength = localKey.KeySize / 8;
        var signatureAt = headerLength + plainLength - signatureLength;
        var paddingStart = headerLength + SequenceHeader.Length + bodyLength;
        var extra = PaddingSizeBytes(remoteKey) == 2;
        var padding = signatureAt - paddingStart - PaddingSizeBytes(remoteKey);
        chunk[paddingStart..(signatureAt - (extra ? 1 : 0))].Fill((byte)padding);
        if (extra) chunk[signatureAt - 1] = (byte)(padding >> 8);
        var signature = policy.Sign(localKey, chunk[..signatureAt]);
        signature.CopyTo(chunk[signatureAt..]);

        // Cipher blocks are larger than plain blocks: encrypt from the last block back so no plain text is overwritten unread.
        var plainBlock = policy.PlainTextBlockSize(remoteKey);
        var cipherBlock = remoteKey.KeySize / 8;
        Span<byte> cipher = stackalloc byte[cipherBlock];
        for (var i = (plainLength / plainBlock) - 1; i >= 0; i--)
        {
            policy.Encrypt(remoteKey, chunk.Slice(headerLength + (i * plainBlock), plainBlock), cipher);
            cipher.CopyTo(chunk[(headerLength + (i * cipherBlock))..]);
        }
    }

    /// <inheritdoc />
    public override int Unprotect(Span<byte> chunk, int headerLength)
    {
        var cipherBlock = localKey.KeySize / 8;
        var encrypted = chunk.Length - headerLength;
        if (encrypted <= 0 || encrypted % cipherBlock != 0) throw Failed("the encrypted part is not whole RSA blocks");
        // An OpenSecureChannel needs two or three blocks; a bound keeps a stranger from buying many private-key operations per chunk.
        if (encrypted / cipherBlock > MaxBlocks) throw Failed($"{encrypted / cipherBlock} RSA blocks in one chunk; at most {MaxBlocks} are accepted");
        var plainLength = 0;
        var block = ArrayPool<byte>.Shared.Rent(cipherBlock);
        try
        {
            // Plain blocks are smaller: decrypting front to back writes only over blocks already read.
            for (var at = headerLength; at < chunk.Length; at += cipherBlock)
            {
                if (!policy.TryDecrypt(localKey, chunk.Slice(at, cipherBlock), block, out var written)) throw Failed("an RSA block does not decrypt");
                block.AsSpan(0, written).CopyTo(chunk[(headerLength + plainLength)..]);
                plainLength += written;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block, clearArray: true);
        }

        var signatureLength = remoteKey.KeySize / 8;
        var signatureAt = headerLength + plainLength - signatureLength;
        if (signatureAt < headerLength + SequenceHeader.Length + PaddingSizeBytes(localKey)) throw Failed("the chunk is too short for its signature");
        // The signature covers the header as sent, whose size is that of the encrypted chunk.
        var signed = chunk[..signatureAt];
        if (!policy.Verify(remoteKey, signed, chunk.Slice(signatureAt, signatureLength))) throw Failed("the chunk's signature is wrong");
        var extra = PaddingSizeBytes(localKey) == 2;
        var padding = chunk[signatureAt - (extra ? 2 : 1)] | (extra ? chunk[signatureAt - 1] << 8 : 0);
        var paddingStart = signatureAt - PaddingSizeBytes(localKey) - padding;
        if (paddingStart < headerLength + SequenceHeader.Length) throw Failed("the padding is longer than the chunk");
        if (chunk[paddingStart..(signatureAt - (extra ? 1 : 0))].IndexOfAnyExcept((byte)padding) >= 0) throw Failed("the padding bytes are wrong");
        return paddingStart - headerLength;
    }

    private int PlainLength(int bodyLength)
    {
        var plainBlock = policy.PlainTextBlockSize(remoteKey);
        var plain = SequenceHeader.Length + bodyLength + PaddingSizeBytes(remoteKey) + (localKey.KeySize / 8);
        return (plain + plainBlock - 1) / plainBlock * plainBlock;
    }

    // The padding size needs a second byte when the encrypting key's blocks exceed 256 bytes (Part 6, 6.7.2.5).
    private static int PaddingSizeBytes(RSA encryptingKey) => encryptingKey.KeySize > 2048 ? 2 : 1;

    private static OpcUaException Failed(string reason) => new(StatusCodes.BadSecurityChecksFailed, reason);
}
