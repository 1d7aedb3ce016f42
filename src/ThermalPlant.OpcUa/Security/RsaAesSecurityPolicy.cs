using System.Security.Cryptography;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Security;

/// <summary>
/// The RSA + AES-CBC + HMAC-SHA256 policies of Part 7 (Basic256Sha256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss):
/// they differ only in RSA padding, signature scheme and AES key length, so one class takes those as parameters.
/// </summary>
public sealed class RsaAesSecurityPolicy : SecurityPolicy
{
    private const string RsaOaepSha1Uri = "http://www.w3.org/2001/04/xmlenc#rsa-oaep";
    private const string RsaOaepSha256Uri = "http://opcfoundation.org/UA/security/rsa-oaep-sha2-256";
    private const string RsaSha256Uri = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
    private const string RsaPssSha256Uri = "http://opcfoundation.org/UA/security/rsa-pss-sha2-256";

    private readonly RSAEncryptionPadding _encryption;
    private readonly RSASignaturePadding _signature;

    private RsaAesSecurityPolicy(string uri, bool oaepSha256, bool pss, int encryptingKeyLength)
    {
        Uri = uri;
        _encryption = oaepSha256 ? RSAEncryptionPadding.OaepSHA256 : RSAEncryptionPadding.OaepSHA1;
        _signature = pss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;
        AsymmetricEncryptionAlgorithm = oaepSha256 ? RsaOaepSha256Uri : RsaOaepSha1Uri;
        AsymmetricSignatureAlgorithm = pss ? RsaPssSha256Uri : RsaSha256Uri;
        // OAEP costs two hash lengths plus two bytes per block (RFC 8017, 7.1.1).
        AsymmetricPaddingOverhead = oaepSha256 ? (2 * 32) + 2 : (2 * 20) + 2;
        EncryptingKeyLength = encryptingKeyLength;
    }

    /// <summary>Basic256Sha256: RSA-OAEP SHA-1, RSA PKCS#1 v1.5 SHA-256, AES-256.</summary>
    public static RsaAesSecurityPolicy Basic256Sha256 { get; } = new(SecurityPolicyUris.Basic256Sha256, oaepSha256: false, pss: false, 32);

    /// <summary>Aes128_Sha256_RsaOaep: RSA-OAEP SHA-1, RSA PKCS#1 v1.5 SHA-256, AES-128.</summary>
    public static RsaAesSecurityPolicy Aes128Sha256RsaOaep { get; } = new(SecurityPolicyUris.Aes128Sha256RsaOaep, oaepSha256: false, pss: false, 16);

    /// <summary>Aes256_Sha256_RsaPss: RSA-OAEP SHA-256, RSA-PSS SHA-256, AES-256.</summary>
    public static RsaAesSecurityPolicy Aes256Sha256RsaPss { get; } = new(SecurityPolicyUris.Aes256Sha256RsaPss, oaepSha256: true, pss: true, 32);

    /// <inheritdoc />
    public override string Uri { get; }

    /// <inheritdoc />
    public override int NonceLength => 32;

    /// <inheritdoc />
    public override int SigningKeyLength => 32;

    /// <inheritdoc />
    public override int EncryptingKeyLength { get; }

    /// <inheritdoc />
    public override int MinAsymmetricKeyBits => 2048;

    /// <inheritdoc />
    public override int MaxAsymmetricKeyBits => 4096;

    /// <inheritdoc />
    public override string AsymmetricSignatureAlgorithm { get; }

    /// <inheritdoc />
    public override string AsymmetricEncryptionAlgorithm { get; }

    /// <inheritdoc />
    public override int AsymmetricPaddingOverhead { get; }

    /// <inheritdoc />
    public override byte[] Sign(RSA key, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.SignData(data, HashAlgorithmName.SHA256, _signature);
    }

    /// <inheritdoc />
    public override bool Verify(RSA key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.VerifyData(data, signature, HashAlgorithmName.SHA256, _signature);
    }

    /// <inheritdoc />
    public override int Encrypt(RSA key, ReadOnlySpan<byte> block, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!key.TryEncrypt(block, destination, _encryption, out var written))
        {
            throw new OpcUaException(StatusCodes.BadInternalError, "RSA encryption failed");
        }
        return written;
    }

    /// <inheritdoc />
    public override bool TryDecrypt(RSA key, ReadOnlySpan<byte> block, Span<byte> destination, out int written)
    {
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            return key.TryDecrypt(block, destination, _encryption, out written);
        }
        catch (CryptographicException)
        {
            written = 0;
            return false;
        }
    }
}
