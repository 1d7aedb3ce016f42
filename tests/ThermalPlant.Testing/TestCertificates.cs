using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ThermalPlant.Testing;

/// <summary>Self-signed RSA 2048 certificates made in process, for servers' application certificates and user certificates.</summary>
public static class TestCertificates
{
    /// <summary>A certificate with its private key for <paramref name="commonName"/>, valid from an hour ago for <paramref name="validFor"/> (a day by default).</summary>
    public static X509Certificate2 Create(string commonName, string? applicationUri = null, TimeSpan? validFor = null)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN={commonName}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment | X509KeyUsageFlags.NonRepudiation, true));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        if (applicationUri is not null) names.AddUri(new Uri(applicationUri));
        request.CertificateExtensions.Add(names.Build());
        var from = DateTimeOffset.UtcNow.AddHours(-1);
        using var created = request.CreateSelfSigned(from, from + (validFor ?? TimeSpan.FromDays(1)));
        // Round-trip through PKCS#12 so the key is usable on every platform, not only ephemeral.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
    }

    /// <summary>The thumbprint of the one certificate file in <paramref name="folder"/> (a store's rejected/certs after a refusal); fails unless there is exactly one.</summary>
    public static string SingleThumbprint(string folder)
    {
        var files = Directory.GetFiles(folder);
        if (files.Length != 1) throw new InvalidOperationException($"{folder} holds {files.Length} certificates, not one");
        using var certificate = X509CertificateLoader.LoadCertificateFromFile(files[0]);
        return certificate.Thumbprint;
    }

    /// <summary>Writes the certificate in PEM (certificate and private key) to <paramref name="directory"/> and returns both paths.</summary>
    public static (string Certificate, string Key) WritePem(X509Certificate2 certificate, string directory, string name)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var certificatePath = Path.Combine(directory, $"{name}.crt");
        var keyPath = Path.Combine(directory, $"{name}.key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        using var rsa = certificate.GetRSAPrivateKey() ?? throw new ArgumentException("no RSA private key", nameof(certificate));
        File.WriteAllText(keyPath, rsa.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }
}
