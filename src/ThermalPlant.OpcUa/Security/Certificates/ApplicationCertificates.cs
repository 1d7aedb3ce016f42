using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Security.Certificates;

/// <summary>
/// Application instance certificates (Part 6, 6.2.2): self-signed, RSA with SHA-256, the ApplicationUri and the host's
/// names and addresses in subjectAltName, key usages for signing and key encipherment, for servers and clients alike.
/// </summary>
public static class ApplicationCertificates
{
    private const string SubjectAltNameOid = "2.5.29.17";

    /// <summary>
    /// Creates a self-signed certificate with its private key for <paramref name="applicationUri"/>, valid from now
    /// (as <paramref name="time"/> tells) for <paramref name="lifetime"/>.
    /// </summary>
    public static X509Certificate2 Create(string applicationUri, string applicationName, IEnumerable<string> hostNames, TimeProvider time, TimeSpan lifetime, int keyBits = 2048)
    {
        ArgumentException.ThrowIfNullOrEmpty(applicationUri);
        ArgumentException.ThrowIfNullOrEmpty(applicationName);
        ArgumentNullException.ThrowIfNull(hostNames);
        ArgumentNullException.ThrowIfNull(time);
        using var key = RSA.Create(keyBits);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(applicationName);
        subject.AddOrganizationName("Thermal Plant Monitoring Suite");
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

        request.CertificateExtensions.Add(SubjectAltName(applicationUri, hostNames));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        // Part 6, 6.2.2: digitalSignature, nonRepudiation, keyEncipherment, dataEncipherment; keyCertSign as it is self-signed.
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation | X509KeyUsageFlags.KeyEncipherment
            | X509KeyUsageFlags.DataEncipherment | X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var subjectKeyId = new X509SubjectKeyIdentifierExtension(request.PublicKey, false);
        request.CertificateExtensions.Add(subjectKeyId);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(subjectKeyId));

        var now = time.GetUtcNow();
        // Back-dated a day so that a peer whose clock lags a little does not see a certificate from the future.
        using var created = request.CreateSelfSigned(now.AddDays(-1), now + lifetime);
        // Re-imported so that the private key is usable on every platform without a persisted key container.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
    }

    /// <summary>A subjectAltName with the application URI and each host name as an IP address or a DNS name.</summary>
    internal static X509Extension SubjectAltName(string applicationUri, IEnumerable<string> hostNames)
    {
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(new Uri(applicationUri));
        foreach (var host in hostNames)
        {
            if (IPAddress.TryParse(host, out var address)) names.AddIpAddress(address);
            else if (host.Length > 0) names.AddDnsName(host);
        }
        return names.Build();
    }

    /// <summary>The URIs in the certificate's subjectAltName (the ApplicationUri is one of them).</summary>
    public static IReadOnlyList<string> Uris(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var uris = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != SubjectAltNameOid) continue;
            try
            {
                var names = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
                var uriTag = new Asn1Tag(TagClass.ContextSpecific, 6);
                while (names.HasData)
                {
                    if (names.PeekTag().HasSameClassAndValue(uriTag)) uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, uriTag));
                    else names.ReadEncodedValue();
                }
            }
            catch (AsnContentException)
            {
                // A malformed extension names no URI; the URI check then fails with its own status.
            }
        }
        return uris;
    }

    /// <summary>
    /// The host names a certificate of this machine should carry so that clients find the one they connect by
    /// (Part 4, 6.1.3, Host Name): <paramref name="configured"/>, the machine's name, <c>localhost</c> and the loopback
    /// addresses.
    /// </summary>
    public static IReadOnlyList<string> LocalHostNames(params string[] configured)
    {
        ArgumentNullException.ThrowIfNull(configured);
        return [.. configured.Append(Dns.GetHostName()).Append("localhost").Append(IPAddress.Loopback.ToString()).Append(IPAddress.IPv6Loopback.ToString())
            .Where(name => name.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>The DNS names in the certificate's subjectAltName.</summary>
    public static IReadOnlyList<string> DnsNames(X509Certificate2 certificate) => SubjectAltNames(certificate, names => names.EnumerateDnsNames());

    /// <summary>The IP addresses in the certificate's subjectAltName.</summary>
    public static IReadOnlyList<IPAddress> IpAddresses(X509Certificate2 certificate) => SubjectAltNames(certificate, names => names.EnumerateIPAddresses());

    /// <summary>The SHA-1 thumbprint as OPC UA carries it (the receiver certificate thumbprint of OPN chunks).</summary>
    public static byte[] Thumbprint(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.GetCertHash(HashAlgorithmName.SHA1);
    }

    private static List<T> SubjectAltNames<T>(X509Certificate2 certificate, Func<X509SubjectAlternativeNameExtension, IEnumerable<T>> select)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        try
        {
            return [.. certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(select)];
        }
        catch (CryptographicException)
        {
            // A malformed extension names nothing; the check that needed a name then fails with its own status.
            return [];
        }
    }

    /// <summary>
    /// The first certificate of a ByteString that may hold a DER chain (the sender's own comes first);
    /// BadCertificateInvalid when it does not parse.
    /// </summary>
    public static X509Certificate2 FromByteString(byte[]? encoded)
    {
        if (encoded is not { Length: > 0 }) throw new OpcUaException(StatusCodes.BadCertificateInvalid, "no certificate");
        try
        {
            AsnDecoder.ReadEncodedValue(encoded, AsnEncodingRules.DER, out _, out _, out var first);
            return X509CertificateLoader.LoadCertificate(encoded.AsSpan(0, first));
        }
        catch (Exception ex) when (ex is CryptographicException or AsnContentException)
        {
            throw new OpcUaException(StatusCodes.BadCertificateInvalid, $"the certificate does not parse: {ex.Message}");
        }
    }
}
