using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ThermalPlant.OpcUa.Security.Certificates;

/// <summary>
/// An X.509 CRL (RFC 5280, 5.1) as far as validation needs it: the issuer, the serial numbers revoked, and whether
/// its signature was made by a given issuer certificate. .NET builds CRLs but does not read their entries.
/// </summary>
public sealed class RevocationList
{
    private readonly byte[] _signed;
    private readonly byte[] _signature;
    private readonly HashAlgorithmName _hash;
    private readonly HashSet<string> _revoked;

    private RevocationList(X500DistinguishedName issuer, HashSet<string> revoked, byte[] signed, HashAlgorithmName hash, byte[] signature)
    {
        Issuer = issuer;
        _revoked = revoked;
        _signed = signed;
        _hash = hash;
        _signature = signature;
    }

    /// <summary>The CA that issued the list.</summary>
    public X500DistinguishedName Issuer { get; }

    /// <summary>Parses a DER (or PEM) CRL; null when the bytes are not one this reader understands.</summary>
    public static RevocationList? TryParse(byte[] encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        try
        {
            var list = new AsnReader(Der(encoded), AsnEncodingRules.DER).ReadSequence();
            var tbsBytes = list.ReadEncodedValue().ToArray();
            var algorithm = list.ReadSequence().ReadObjectIdentifier();
            var signature = list.ReadBitString(out _);

            var tbs = new AsnReader(tbsBytes, AsnEncodingRules.DER).ReadSequence();
            if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer)) tbs.ReadInteger();
            tbs.ReadEncodedValue();
            var issuer = new X500DistinguishedName(tbs.ReadEncodedValue().Span);
            tbs.ReadEncodedValue();
            if (tbs.HasData && IsTime(tbs.PeekTag())) tbs.ReadEncodedValue();
            var revoked = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
            {
                var entries = tbs.ReadSequence();
                while (entries.HasData)
                {
                    var entry = entries.ReadSequence();
                    revoked.Add(Convert.ToHexString(entry.ReadIntegerBytes().Span));
                }
            }
            return Hash(algorithm) is { } hash ? new RevocationList(issuer, revoked, tbsBytes, hash, signature) : null;
        }
        catch (Exception ex) when (ex is AsnContentException or CryptographicException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Whether <paramref name="issuer"/>'s key signed this list.</summary>
    public bool IsSignedBy(X509Certificate2 issuer)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        using var key = issuer.GetRSAPublicKey();
        return key is not null && string.Equals(issuer.SubjectName.Name, Issuer.Name, StringComparison.Ordinal)
            && key.VerifyData(_signed, _signature, _hash, RSASignaturePadding.Pkcs1);
    }

    /// <summary>Whether the list revokes <paramref name="certificate"/> (by serial number).</summary>
    public bool Revokes(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return _revoked.Contains(certificate.SerialNumber);
    }

    private static byte[] Der(byte[] encoded)
    {
        if (encoded.Length == 0 || encoded[0] != (byte)'-') return encoded;
        var text = System.Text.Encoding.ASCII.GetString(encoded);
        return Convert.FromBase64String(text[PemEncoding.Find(text).Base64Data]);
    }

    private static bool IsTime(Asn1Tag tag) =>
        tag.HasSameClassAndValue(new Asn1Tag(UniversalTagNumber.UtcTime)) || tag.HasSameClassAndValue(new Asn1Tag(UniversalTagNumber.GeneralizedTime));

    private static HashAlgorithmName? Hash(string oid) => oid switch
    {
        "1.2.840.113549.1.1.11" => HashAlgorithmName.SHA256,
        "1.2.840.113549.1.1.12" => HashAlgorithmName.SHA384,
        "1.2.840.113549.1.1.13" => HashAlgorithmName.SHA512,
        "1.2.840.113549.1.1.5" => HashAlgorithmName.SHA1,
        _ => null,
    };
}
