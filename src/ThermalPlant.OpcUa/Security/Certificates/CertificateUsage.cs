using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Security.Certificates;

/// <summary>
/// The Certificate Usage step of Part 4, 6.1.3: an application instance certificate is no CA and its key may sign and
/// (RSA) encrypt keys, for the role it is used in; each CA in its chain may sign certificates.
/// </summary>
internal static class CertificateUsage
{
    private const string RsaKeyOid = "1.2.840.113549.1.1.1";
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    private const string AnyExtendedKeyUsage = "2.5.29.37.0";

    /// <summary>
    /// Checks the peer's own certificate used as a <paramref name="role"/>'s; BadCertificateUseNotAllowed otherwise.
    /// Part 6, 6.2.2 asks for digitalSignature (and keyEncipherment with RSA, whose key encrypts the OpenSecureChannel
    /// secrets); nonRepudiation and dataEncipherment are not required, as many stacks' certificates go without them.
    /// </summary>
    public static void CheckApplicationInstance(X509Certificate2 certificate, ApplicationType role)
    {
        if (IsCa(certificate)) throw UseNotAllowed(certificate, "is a CA certificate");
        var required = X509KeyUsageFlags.DigitalSignature
            | (certificate.PublicKey.Oid.Value == RsaKeyOid ? X509KeyUsageFlags.KeyEncipherment : X509KeyUsageFlags.None);
        // RFC 5280, 4.2.1.3: a certificate without the extension does not restrict its key.
        if (KeyUsage(certificate) is { } usage && (usage & required) != required)
        {
            throw UseNotAllowed(certificate, $"allows {usage}, not {required}");
        }
        if (ExtendedKeyUsage(certificate) is { } purposes && !Allows(purposes, role))
        {
            throw UseNotAllowed(certificate, $"has no extended key usage for a {role}");
        }
    }

    /// <summary>Checks that <paramref name="issuer"/> is a CA that may sign certificates; BadCertificateIssuerUseNotAllowed otherwise.</summary>
    public static void CheckIssuer(X509Certificate2 issuer)
    {
        // RFC 5280, 4.2.1.3 and 4.2.1.9: a CA certificate has basicConstraints cA and keyUsage keyCertSign.
        if (!IsCa(issuer) || KeyUsage(issuer) is not { } usage || !usage.HasFlag(X509KeyUsageFlags.KeyCertSign))
        {
            throw new OpcUaException(StatusCodes.BadCertificateIssuerUseNotAllowed, $"issuer {issuer.Subject} is not a CA allowed to sign certificates");
        }
    }

    private static bool IsCa(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(c => c.CertificateAuthority);

    private static X509KeyUsageFlags? KeyUsage(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault()?.KeyUsages;

    private static HashSet<string>? ExtendedKeyUsage(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is { } extension
            ? [.. extension.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value ?? "")]
            : null;

    private static bool Allows(HashSet<string> purposes, ApplicationType role)
    {
        if (purposes.Contains(AnyExtendedKeyUsage)) return true;
        var server = purposes.Contains(ServerAuth);
        var client = purposes.Contains(ClientAuth);
        return role switch
        {
            ApplicationType.Client => client,
            ApplicationType.ClientAndServer => client && server,
            _ => server,
        };
    }

    private static OpcUaException UseNotAllowed(X509Certificate2 certificate, string why) =>
        new(StatusCodes.BadCertificateUseNotAllowed, $"certificate {certificate.Subject} {why}");
}
