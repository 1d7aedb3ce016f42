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
    private readonly byte[] _iv;
    private readonly Aes _aes;

    // Kept keyed for every chunk: the one-shot HMACSHA256.HashData set the key up anew on each of them.
    private readonly IncrementalHash _hmac;

    /// <summary>Takes keys already derived; see <see cref="Derive"/>.</summary>
    public SymmetricKeys(ReadOnlySpan<byte> signingKey, ReadOnlySpan<byte> encryptingKey, ReadOnlySpan<byte> iv)
    {
        if (iv.Length != BlockSize) throw new ArgumentException($"the IV is {BlockSize} bytes", nameof(iv));
        _signingKey = signingKey.ToArray();
        _iv = iv.ToArray();
        _aes = Aes.Create();
        _aes.Key = encryptingKey.ToArray();
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
        if (!_aes.TryEncryptCbc(blocks, _iv, blocks, out _, PaddingMode.None))
        {
            throw new OpcUaException(StatusCodes.BadInternalError, "AES encryption failed");
        }
    }

    /// <summary>Decrypts whole blocks in place; a length that is not a multiple of the block size is BadSecurityChecksFailed.</summary>
    public void Decrypt(Span<byte> blocks)
    {
        if (blocks.Length % BlockSize != 0 || !_aes.TryDecryptCbc(blocks, _iv, blocks, out _, PaddingMode.None))
        {
            throw new OpcUaException(StatusCodes.BadSecurityChecksFailed, "the encrypted part is not whole AES blocks");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_signingKey);
        _hmac.Dispose();
        _aes.Dispose();
    }
}
