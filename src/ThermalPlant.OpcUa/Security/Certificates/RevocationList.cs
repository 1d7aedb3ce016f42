using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ThermalPlant.OpcUa.Security.Certificates;

/// <summary>
/// An X.509 CRL (RFC 5280, 5.1) as far as validation needs it: the issuer, the serial numbers revoked, until when it
/// is current, and whether its signature was made by a given issuer certificate. .NET builds CRLs but does not read them.
/// </summary>
public sealed class RevocationList
{
    private readonly SignedData _signed;
    private readonly HashSet<string> _revoked;

    private RevocationList(X500DistinguishedName issuer, DateTime? nextUpdate, HashSet<string> revoked, SignedData signed)
    {
        Issuer = issuer;
        NextUpdate = nextUpdate;
        _revoked = revoked;
        _signed = signed;
    }

    /// <summary>The CA that issued the list.</summary>
    public X500DistinguishedName Issuer { get; }

    /// <summary>When the CA promises the next list (UTC); null when the list does not say.</summary>
    public DateTime? NextUpdate { get; }

    /// <summary>Parses a DER (or PEM) CRL; null when the bytes are not one this reader understands.</summary>
    public static RevocationList? TryParse(byte[] encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        try
        {
            var signed = SignedData.Read(Der(encoded));
            var tbs = new AsnReader(signed.Signed, AsnEncodingRules.DER).ReadSequence();
            if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer)) tbs.ReadInteger();
            tbs.ReadEncodedValue();
            var issuer = new X500DistinguishedName(tbs.ReadEncodedValue().Span);
            ReadTime(tbs);
            var nextUpdate = tbs.HasData && IsTime(tbs.PeekTag()) ? ReadTime(tbs) : (DateTime?)null;
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
            return signed.Hash is null ? null : new RevocationList(issuer, nextUpdate, revoked, signed);
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
        return string.Equals(issuer.SubjectName.Name, Issuer.Name, StringComparison.Ordinal) && _signed.IsSignedBy(issuer);
    }

    /// <summary>
    /// Whether the list still speaks for its CA at <paramref name="now"/>: past its nextUpdate a newer list may
    /// revoke what this one does not (RFC 5280, 5.1.2.5), so it tells nothing about a certificate being good.
    /// </summary>
    public bool IsCurrentAt(DateTime now) => NextUpdate is not { } next || now <= next;

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

    private static DateTime ReadTime(AsnReader reader) =>
        (reader.PeekTag().HasSameClassAndValue(new Asn1Tag(UniversalTagNumber.UtcTime)) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime()).UtcDateTime;
}
