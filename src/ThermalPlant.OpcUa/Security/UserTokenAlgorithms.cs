using System.Security.Cryptography;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Security;

/// <summary>
/// The asymmetric algorithms a security policy prescribes for user identity tokens (Part 7, the policies'
/// AsymmetricEncryptionAlgorithm and AsymmetricSignatureAlgorithm): how a secret is encrypted for the server and
/// how a user certificate's owner signs the server's certificate and nonce.
/// </summary>
public sealed record UserTokenAlgorithms
{
    private const string RsaOaepUri = "http://www.w3.org/2001/04/xmlenc#rsa-oaep";
    private const string RsaOaepSha256Uri = "http://opcfoundation.org/UA/security/rsa-oaep-sha2-256";
    private const string RsaSha256Uri = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
    private const string RsaPssSha256Uri = "http://opcfoundation.org/UA/security/rsa-pss-sha2-256";

    private static readonly UserTokenAlgorithms Sha1Oaep = new(SecurityPolicyUris.Basic256Sha256, RSAEncryptionPadding.OaepSHA1, RsaOaepUri, 20, RSASignaturePadding.Pkcs1, RsaSha256Uri);
    private static readonly UserTokenAlgorithms Aes128 = Sha1Oaep with { PolicyUri = SecurityPolicyUris.Aes128Sha256RsaOaep };
    private static readonly UserTokenAlgorithms Sha256Oaep = new(SecurityPolicyUris.Aes256Sha256RsaPss, RSAEncryptionPadding.OaepSHA256, RsaOaepSha256Uri, 32, RSASignaturePadding.Pss, RsaPssSha256Uri);

    private UserTokenAlgorithms(string policyUri, RSAEncryptionPadding encryption, string encryptionUri, int oaepHashLength, RSASignaturePadding signature, string signatureUri)
    {
        PolicyUri = policyUri;
        Encryption = encryption;
        EncryptionAlgorithmUri = encryptionUri;
        OaepHashLength = oaepHashLength;
        Signature = signature;
        SignatureAlgorithmUri = signatureUri;
    }

    /// <summary>The security policy.</summary>
    public string PolicyUri { get; private init; }

    /// <summary>The RSA padding of encrypted secrets.</summary>
    public RSAEncryptionPadding Encryption { get; }

    /// <summary>The URI put in a token's EncryptionAlgorithm.</summary>
    public string EncryptionAlgorithmUri { get; }

    /// <summary>The OAEP hash length, which fixes how many plaintext bytes fit one RSA block.</summary>
    public int OaepHashLength { get; }

    /// <summary>The RSA padding of user token signatures (always over SHA-256 for these policies).</summary>
    public RSASignaturePadding Signature { get; }

    /// <summary>The URI put in a SignatureData's Algorithm.</summary>
    public string SignatureAlgorithmUri { get; }

    /// <summary>The algorithms of <paramref name="policyUri"/>; BadSecurityPolicyRejected for None or an unknown policy.</summary>
    public static UserTokenAlgorithms For(string? policyUri) => policyUri switch
    {
        SecurityPolicyUris.Basic256Sha256 => Sha1Oaep,
        SecurityPolicyUris.Aes128Sha256RsaOaep => Aes128,
        SecurityPolicyUris.Aes256Sha256RsaPss => Sha256Oaep,
        _ => throw new OpcUaException(StatusCodes.BadSecurityPolicyRejected, $"user tokens cannot be protected with security policy '{policyUri}'"),
    };

    /// <summary>Whether <paramref name="policyUri"/> is one whose algorithms are known here.</summary>
    public static bool IsSupported(string? policyUri) =>
        policyUri is SecurityPolicyUris.Basic256Sha256 or SecurityPolicyUris.Aes128Sha256RsaOaep or SecurityPolicyUris.Aes256Sha256RsaPss;
}
