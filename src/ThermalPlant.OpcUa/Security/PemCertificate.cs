using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Security.Certificates;

namespace ThermalPlant.OpcUa.Security;

/// <summary>An application instance certificate from PEM files, or a self-signed one made in memory when none is configured.</summary>
public static class PemCertificate
{
    /// <summary>Loads a certificate and its RSA private key from PEM files.</summary>
    public static X509Certificate2 Load(string certificatePath, string privateKeyPath)
    {
        using var pem = X509Certificate2.CreateFromPemFile(certificatePath, privateKeyPath);
        // Re-imported so that the key is usable on every platform (Windows needs a persisted key handle).
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>
    /// The certificate of <paramref name="certificatePath"/> and <paramref name="privateKeyPath"/> when both are set;
    /// otherwise a self-signed one for a year (made anew at each start, so clients that pin it must trust it again).
    /// </summary>
    public static X509Certificate2 LoadOrCreate(string? certificatePath, string? privateKeyPath, string applicationName, string applicationUri, string hostName) =>
        !string.IsNullOrEmpty(certificatePath) && !string.IsNullOrEmpty(privateKeyPath)
            ? Load(certificatePath, privateKeyPath)
            : CreateSelfSigned(applicationName, applicationUri, hostName, TimeSpan.FromDays(365));

    /// <summary>
    /// A self-signed RSA 2048 SHA-256 certificate for <paramref name="applicationUri"/> (in subjectAltName, with
    /// <paramref name="hostName"/> and the other local names clients connect by), valid for <paramref name="validFor"/> from now.
    /// </summary>
    public static X509Certificate2 CreateSelfSigned(string applicationName, string applicationUri, string hostName, TimeSpan validFor, TimeProvider? time = null)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={applicationName.Replace(",", " ", StringComparison.Ordinal)}"), rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment, true));
        request.CertificateExtensions.Add(ApplicationCertificates.SubjectAltName(applicationUri, ApplicationCertificates.LocalHostNames(hostName)));
        var now = (time ?? TimeProvider.System).GetUtcNow();
        using var created = request.CreateSelfSigned(now.AddMinutes(-5), now + validFor);
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }
}
