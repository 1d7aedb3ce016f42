using System.Security.Cryptography;

namespace ThermalPlant.OpcUa.Security;

/// <summary>
/// A security policy of Part 7: the algorithms a channel signs and encrypts with. The channel code asks the policy for
/// sizes and operations and never names an algorithm, so a policy is added here without touching the framing.
/// </summary>
public abstract class SecurityPolicy
{
    /// <summary>The policy's URI.</summary>
    public abstract string Uri { get; }

    /// <summary>Whether this is SecurityPolicy None (no keys, no certificates).</summary>
    public bool IsNone => NonceLength == 0;

    /// <summary>Bytes of the nonces of OpenSecureChannel and CreateSession; 0 for None.</summary>
    public abstract int NonceLength { get; }

    /// <summary>Bytes of the derived HMAC signing key.</summary>
    public abstract int SigningKeyLength { get; }

    /// <summary>Bytes of the derived AES key.</summary>
    public abstract int EncryptingKeyLength { get; }

    /// <summary>Smallest RSA key accepted, in bits.</summary>
    public abstract int MinAsymmetricKeyBits { get; }

    /// <summary>Largest RSA key accepted, in bits.</summary>
    public abstract int MaxAsymmetricKeyBits { get; }

    /// <summary>The URI of the asymmetric signature algorithm, as SignatureData carries it.</summary>
    public abstract string? AsymmetricSignatureAlgorithm { get; }

    /// <summary>The URI of the asymmetric encryption algorithm, as encrypted user tokens carry it.</summary>
    public abstract string? AsymmetricEncryptionAlgorithm { get; }

    /// <summary>Bytes of RSA overhead per encrypted block under this policy's padding.</summary>
    public abstract int AsymmetricPaddingOverhead { get; }

    /// <summary>Signs <paramref name="data"/> with the private key <paramref name="key"/>.</summary>
    public abstract byte[] Sign(RSA key, ReadOnlySpan<byte> data);

    /// <summary>Whether <paramref name="signature"/> over <paramref name="data"/> was made by the owner of <paramref name="key"/>.</summary>
    public abstract bool Verify(RSA key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature);

    /// <summary>Encrypts one block (at most the plain text block size) for the owner of <paramref name="key"/>.</summary>
    public abstract int Encrypt(RSA key, ReadOnlySpan<byte> block, Span<byte> destination);

    /// <summary>Decrypts one block with the private key <paramref name="key"/>; false when it is not a valid block.</summary>
    public abstract bool TryDecrypt(RSA key, ReadOnlySpan<byte> block, Span<byte> destination, out int written);

    /// <summary>Derives the keys of one direction (Part 6, 6.7.5): secret is the peer's nonce, seed the sender's own.</summary>
    public SymmetricKeys DeriveKeys(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> seed) =>
        SymmetricKeys.Derive(secret, seed, SigningKeyLength, EncryptingKeyLength);

    /// <summary>Bytes of plain text one RSA block of <paramref name="key"/> carries.</summary>
    public int PlainTextBlockSize(RSA key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return (key.KeySize / 8) - AsymmetricPaddingOverhead;
    }

    /// <inheritdoc />
    public override string ToString() => Uri;
}
