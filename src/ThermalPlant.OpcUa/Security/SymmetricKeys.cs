using System.Buffers;
using System.Security.Cryptography;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Security;

/// <summary>
/// The keys one side of a channel secures its chunks with under one token (Part 6, 6.7.5): an HMAC-SHA256 signing
/// key, an AES-CBC key and its IV. Not thread-safe: a channel uses one instance per direction, under its send lock
/// or in its single receive loop.
/// </summary>
public sealed class SymmetricKeys : IDisposable
{
    /// <summary>Bytes of an HMAC-SHA256 signature.</summary>
    public const int SignatureLength = 32;

    /// <summary>Bytes of an AES block.</summary>
    public const int BlockSize = 16;

    private readonly byte[] _signingKey;
    private readonly Aes _aes;

    // Kept with their cipher contexts for every chunk: the one-shot TryEncryptCbc built a context per chunk. Each chunk
    // starts again from the IV (Part 6, 6.7.2.5), which a final block of nothing resets them to.
    private readonly ICryptoTransform _encryptor;
    private readonly ICryptoTransform _decryptor;

    // Kept keyed for every chunk: the one-shot HMACSHA256.HashData set the key up anew on each of them.
    private readonly IncrementalHash _hmac;

    /// <summary>Takes keys already derived; see <see cref="Derive"/>.</summary>
    public SymmetricKeys(ReadOnlySpan<byte> signingKey, ReadOnlySpan<byte> encryptingKey, ReadOnlySpan<byte> iv)
    {
        if (iv.Length != BlockSize) throw new ArgumentException($"the IV is {BlockSize} bytes", nameof(iv));
        _signingKey = signingKey.ToArray();
        _aes = Aes.Create();
        _aes.Mode = CipherMode.CBC;
        _aes.Padding = PaddingMode.None;
        var key = encryptingKey.ToArray();
        var ivBytes = iv.ToArray();
        _encryptor = _aes.CreateEncryptor(key, ivBytes);
        _decryptor = _aes.CreateDecryptor(key, ivBytes);
        CryptographicOperations.ZeroMemory(key);
        _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _signingKey);
    }

    /// <summary>
    /// Derives the keys from P_SHA256(<paramref name="secret"/>, <paramref name="seed"/>) in the order signing key,
    /// encrypting key, IV (Part 6, 6.7.5). A side's own keys use the peer's nonce as secret and its own as seed.
    /// </summary>
    public static SymmetricKeys Derive(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> seed, int signingKeyLength, int encryptingKeyLength)
    {
        Span<byte> material = stackalloc byte[signingKeyLength + encryptingKeyLength + BlockSize];
        PSha256.Derive(secret, seed, material);
        var keys = new SymmetricKeys(material[..signingKeyLength], material.Slice(signingKeyLength, encryptingKeyLength), material[(signingKeyLength + encryptingKeyLength)..]);
        CryptographicOperations.ZeroMemory(material);
        return keys;
    }

    /// <summary>Writes the HMAC-SHA256 of <paramref name="data"/> to <paramref name="signature"/>.</summary>
    public void Sign(ReadOnlySpan<byte> data, Span<byte> signature)
    {
        _hmac.AppendData(data);
        if (!_hmac.TryGetHashAndReset(signature, out _)) throw new ArgumentException($"the signature takes {SignatureLength} bytes", nameof(signature));
    }

    /// <summary>Whether <paramref name="signature"/> is the HMAC-SHA256 of <paramref name="data"/> (compared in constant time).</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        Span<byte> expected = stackalloc byte[SignatureLength];
        Sign(data, expected);
        return signature.Length == SignatureLength && CryptographicOperations.FixedTimeEquals(expected, signature);
    }

    /// <summary>Encrypts whole blocks in place with AES-CBC; the caller has padded them.</summary>
    public void Encrypt(Span<byte> blocks)
    {
        if (blocks.Length % BlockSize != 0 || !Transform(_encryptor, blocks))
        {
            throw new OpcUaException(StatusCodes.BadInternalError, "AES encryption failed");
        }
    }

    /// <summary>Decrypts whole blocks in place; a length that is not a multiple of the block size is BadSecurityChecksFailed.</summary>
    public void Decrypt(Span<byte> blocks)
    {
        if (blocks.Length % BlockSize != 0 || !Transform(_decryptor, blocks))
        {
            throw new OpcUaException(StatusCodes.BadSecurityChecksFailed, "the encrypted part is not whole AES blocks");
        }
    }

    /// <summary>Runs <paramref name="blocks"/> through <paramref name="transform"/> in place, then resets it to the IV.</summary>
    private static bool Transform(ICryptoTransform transform, Span<byte> blocks)
    {
        if (blocks.IsEmpty) return true;
        // ICryptoTransform takes arrays; the chunk is a span of a frame or of the receive buffer.
        var scratch = ArrayPool<byte>.Shared.Rent(blocks.Length);
        try
        {
            blocks.CopyTo(scratch);
            var written = transform.TransformBlock(scratch, 0, blocks.Length, scratch, 0);
            transform.TransformFinalBlock(scratch, 0, 0);
            if (written != blocks.Length) return false;
            scratch.AsSpan(0, blocks.Length).CopyTo(blocks);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scratch.AsSpan(0, blocks.Length));
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_signingKey);
        _hmac.Dispose();
        _encryptor.Dispose();
        _decryptor.Dispose();
        _aes.Dispose();
    }
}
