using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ThermalPlant.OpcUa.Security.Certificates;

/// <summary>
/// The signed part, algorithm and signature of an X.509 certificate or CRL (RFC 5280, 4.1 and 5.1), so that the
/// signature can be checked against a chosen issuer's key and its hash judged against a security policy. .NET checks
/// certificate signatures only inside X509Chain, whose issuer search differs between platforms.
/// </summary>
internal sealed class SignedData(byte[] signed, HashAlgorithmName? hash, RSASignaturePadding? rsaPadding, byte[] signature)
{
    private const string RsaPssOid = "1.2.840.113549.1.1.10";

    /// <summary>The hash the signature was made over; null for an algorithm this reader does not know.</summary>
    public HashAlgorithmName? Hash { get; } = hash;

    /// <summary>The to-be-signed bytes (tbsCertificate or tbsCertList).</summary>
    public ReadOnlyMemory<byte> Signed => signed;

    /// <summary>Splits a DER SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING }; throws <see cref="AsnContentException"/> when it is not one.</summary>
    public static SignedData Read(ReadOnlyMemory<byte> der)
    {
        var outer = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        var tbs = outer.ReadEncodedValue().ToArray();
        var algorithm = outer.ReadSequence();
        var oid = algorithm.ReadObjectIdentifier();
        var value = outer.ReadBitString(out _);
        var (hashName, padding) = oid == RsaPssOid ? (PssHash(algorithm), RSASignaturePadding.Pss) : (HashOf(oid), Padding(oid));
        return new SignedData(tbs, hashName, padding, value);
    }

    /// <summary>The signed data of <paramref name="certificate"/>.</summary>
    public static SignedData Of(X509Certificate2 certificate) => Read(certificate.RawDataMemory);

    /// <summary>Whether the key of <paramref name="issuer"/> made this signature.</summary>
    public bool IsSignedBy(X509Certificate2 issuer)
    {
        if (Hash is not { } hashName) return false;
        try
        {
            if (rsaPadding is { } padding)
            {
                using var rsa = issuer.GetRSAPublicKey();
                return rsa is not null && rsa.VerifyData(signed, signature, hashName, padding);
            }
            using var ecdsa = issuer.GetECDsaPublicKey();
            return ecdsa is not null && ecdsa.VerifyData(signed, signature, hashName, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            // A key of another kind than the signature's algorithm did not make it.
            return false;
        }
    }

    private static HashAlgorithmName? HashOf(string oid) => oid switch
    {
        "1.2.840.113549.1.1.5" or "1.2.840.10045.4.1" => HashAlgorithmName.SHA1,
        "1.2.840.113549.1.1.11" or "1.2.840.10045.4.3.2" => HashAlgorithmName.SHA256,
        "1.2.840.113549.1.1.12" or "1.2.840.10045.4.3.3" => HashAlgorithmName.SHA384,
        "1.2.840.113549.1.1.13" or "1.2.840.10045.4.3.4" => HashAlgorithmName.SHA512,
        _ => null,
    };

    private static RSASignaturePadding? Padding(string oid) => oid.StartsWith("1.2.840.113549.1.1.", StringComparison.Ordinal) ? RSASignaturePadding.Pkcs1 : null;

    /// <summary>The hash of RSASSA-PSS-params (RFC 4055, 3.1): SHA-1 when absent, as the default says.</summary>
    private static HashAlgorithmName? PssHash(AsnReader algorithm)
    {
        if (!algorithm.HasData) return HashAlgorithmName.SHA1;
        var parameters = algorithm.ReadSequence();
        var hashTag = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
        if (!parameters.HasData || !parameters.PeekTag().HasSameClassAndValue(hashTag)) return HashAlgorithmName.SHA1;
        return parameters.ReadSequence(hashTag).ReadSequence().ReadObjectIdentifier() switch
        {
            "1.3.14.3.2.26" => HashAlgorithmName.SHA1,
            "2.16.840.1.101.3.4.2.1" => HashAlgorithmName.SHA256,
            "2.16.840.1.101.3.4.2.2" => HashAlgorithmName.SHA384,
            "2.16.840.1.101.3.4.2.3" => HashAlgorithmName.SHA512,
            _ => null,
        };
    }
}
