using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ThermalPlant.OpcUa.Security.Certificates;

/// <summary>
/// A site certificate authority kept in a folder: <c>certs/ca.der</c> (the CA certificate), <c>private/ca.pfx</c> (its
/// key, readable by the owner only), <c>crl/ca.crl</c> (its revocation list) and <c>issued/</c> (a copy of each
/// certificate it issued, by thumbprint, for revocation). It issues application instance
/// certificates (RSA 2048, SHA-256, the ApplicationUri and host names in subjectAltName) into a store's <c>own</c>, and
/// publishes itself and its CRL into a store's <c>trusted</c>, so that every application whose store it was published
/// into trusts every certificate it issued and none it revoked (<see cref="CertificateValidator"/> checks the chain and
/// the CRL) instead of each peer's certificate one by one.
/// </summary>
public sealed class CertificateAuthority : IDisposable
{
    private const string CaFile = "ca.der";
    private const string KeyFile = "ca.pfx";
    private const string CrlFile = "ca.crl";

    private readonly TimeProvider _time;

    private CertificateAuthority(string path, X509Certificate2 certificate, TimeProvider time)
    {
        Path = path;
        Certificate = certificate;
        _time = time;
    }

    /// <summary>The CA's folder.</summary>
    public string Path { get; }

    /// <summary>The CA certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The CRL file.</summary>
    public string CrlPath => System.IO.Path.Combine(Path, "crl", CrlFile);

    /// <summary>Whether <paramref name="path"/> holds a CA.</summary>
    public static bool Exists(string path) => File.Exists(System.IO.Path.Combine(path, "private", KeyFile));

    /// <summary>
    /// Creates a CA in <paramref name="path"/> (a self-signed CA certificate valid for <paramref name="lifetime"/> and an
    /// empty CRL valid for <paramref name="crlLifetime"/>), or opens the one there: running it again changes nothing.
    /// </summary>
    public static CertificateAuthority Init(string path, string name, TimeProvider time, TimeSpan lifetime, TimeSpan crlLifetime)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(time);
        if (Exists(path)) return Open(path, time);
        foreach (var folder in new[] { "certs", "private", "crl", "issued" }) Directory.CreateDirectory(System.IO.Path.Combine(path, folder));
        using var key = RSA.Create(2048);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(name);
        subject.AddOrganizationName("Thermal Plant Monitoring Suite");
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        var subjectKeyId = new X509SubjectKeyIdentifierExtension(request.PublicKey, false);
        request.CertificateExtensions.Add(subjectKeyId);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(subjectKeyId));
        var now = time.GetUtcNow();
        using var created = request.CreateSelfSigned(now.AddDays(-1), now + lifetime);
        var certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
        var keyPath = System.IO.Path.Combine(path, "private", KeyFile);
        File.WriteAllBytes(keyPath, certificate.Export(X509ContentType.Pkcs12));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllBytes(System.IO.Path.Combine(path, "certs", CaFile), certificate.RawData);
        var authority = new CertificateAuthority(path, certificate, time);
        authority.WriteCrl(new CertificateRevocationListBuilder(), BigInteger.One, crlLifetime);
        return authority;
    }

    /// <summary>Opens the CA in <paramref name="path"/>; a missing or unreadable one is an <see cref="InvalidOperationException"/>.</summary>
    public static CertificateAuthority Open(string path, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var keyPath = System.IO.Path.Combine(path, "private", KeyFile);
        if (!File.Exists(keyPath)) throw new InvalidOperationException($"{path} holds no certificate authority (no private/{KeyFile}); create one with init-ca");
        try
        {
            return new CertificateAuthority(path, X509CertificateLoader.LoadPkcs12FromFile(keyPath, null, X509KeyStorageFlags.Exportable), time);
        }
        catch (CryptographicException ex)
        {
            throw new InvalidOperationException($"{keyPath} is not a readable CA key: {ex.Message}", ex);
        }
    }

    /// <summary>When the CRL must be renewed: past this time peers treat every certificate the CA issued as unknown.</summary>
    public DateTime? CrlNextUpdate => RevocationList.TryParse(File.ReadAllBytes(CrlPath))?.NextUpdate;

    /// <summary>
    /// Issues an application instance certificate for <paramref name="applicationUri"/> valid for
    /// <paramref name="lifetime"/> (at most until the CA expires), with its private key.
    /// </summary>
    public X509Certificate2 Issue(string applicationUri, string applicationName, IEnumerable<string> hostNames, TimeSpan lifetime)
    {
        ArgumentException.ThrowIfNullOrEmpty(applicationUri);
        ArgumentException.ThrowIfNullOrEmpty(applicationName);
        ArgumentNullException.ThrowIfNull(hostNames);
        using var key = RSA.Create(2048);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(applicationName);
        subject.AddOrganizationName("Thermal Plant Monitoring Suite");
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(ApplicationCertificates.SubjectAltName(applicationUri, hostNames));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        // Part 6, 6.2.2, without keyCertSign: an application certificate a CA issued signs nothing else.
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var now = _time.GetUtcNow();
        var notAfter = now + lifetime;
        var caNotAfter = new DateTimeOffset(Certificate.NotAfter.ToUniversalTime());
        if (notAfter > caNotAfter) notAfter = caNotAfter;
        using var issued = request.Create(Certificate, now.AddDays(-1), notAfter, RandomNumberGenerator.GetBytes(16));
        Directory.CreateDirectory(IssuedPath);
        File.WriteAllBytes(System.IO.Path.Combine(IssuedPath, CertificateStore.FileName(issued)), issued.RawData);
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
    }

    /// <summary>The folder holding a copy of every certificate issued.</summary>
    public string IssuedPath => System.IO.Path.Combine(Path, "issued");

    /// <summary>
    /// Issues a certificate into <paramref name="store"/>'s <c>own</c>, replacing every other certificate there for the same
    /// application URI (a self-signed one left from before the CA, or one renewed), and publishes the CA into the store.
    /// </summary>
    public X509Certificate2 IssueInto(CertificateStore store, string applicationUri, string applicationName, IEnumerable<string> hostNames, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(store);
        var certificate = Issue(applicationUri, applicationName, hostNames, lifetime);
        RemoveOwn(store, applicationUri);
        store.SaveOwn(certificate);
        Publish(store);
        return certificate;
    }

    /// <summary>Copies the CA certificate into <paramref name="store"/>'s <c>trusted/certs</c> and its CRL into <c>trusted/crl</c>.</summary>
    public void Publish(CertificateStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        store.AddTrusted(Certificate);
        Directory.CreateDirectory(store.TrustedCrl);
        File.Copy(CrlPath, System.IO.Path.Combine(store.TrustedCrl, CertificateStore.FileName(Certificate).Replace(".der", ".crl", StringComparison.Ordinal)), overwrite: true);
    }

    /// <summary>Adds <paramref name="certificate"/> to the CRL (once) and signs it anew, valid for <paramref name="crlLifetime"/>.</summary>
    public void Revoke(X509Certificate2 certificate, TimeSpan crlLifetime)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!certificate.IssuerName.RawData.AsSpan().SequenceEqual(Certificate.SubjectName.RawData)) throw new InvalidOperationException($"{certificate.Subject} was not issued by {Certificate.Subject}");
        var builder = CertificateRevocationListBuilder.Load(File.ReadAllBytes(CrlPath), out var number);
        var serial = certificate.SerialNumberBytes.Span;
        builder.RemoveEntry(serial);
        builder.AddEntry(serial, _time.GetUtcNow());
        WriteCrl(builder, number + 1, crlLifetime);
    }

    /// <summary>Signs the CRL anew with the same entries, valid for <paramref name="crlLifetime"/> from now.</summary>
    public void RenewCrl(TimeSpan crlLifetime)
    {
        var builder = CertificateRevocationListBuilder.Load(File.ReadAllBytes(CrlPath), out var number);
        WriteCrl(builder, number + 1, crlLifetime);
    }

    /// <summary>The CA-issued certificates in <paramref name="store"/>'s <c>own</c>, with their keys.</summary>
    public IReadOnlyList<X509Certificate2> IssuedIn(CertificateStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        var found = new List<X509Certificate2>();
        if (!Directory.Exists(store.OwnPrivate)) return found;
        foreach (var file in Directory.EnumerateFiles(store.OwnPrivate, "*.pfx"))
        {
            X509Certificate2 candidate;
            try
            {
                candidate = X509CertificateLoader.LoadPkcs12FromFile(file, null, X509KeyStorageFlags.Exportable);
            }
            catch (CryptographicException)
            {
                continue;
            }
            if (candidate.IssuerName.RawData.AsSpan().SequenceEqual(Certificate.SubjectName.RawData) && !candidate.SubjectName.RawData.AsSpan().SequenceEqual(candidate.IssuerName.RawData)) found.Add(candidate);
            else candidate.Dispose();
        }
        return found;
    }

    /// <inheritdoc/>
    public void Dispose() => Certificate.Dispose();

    private void WriteCrl(CertificateRevocationListBuilder builder, BigInteger number, TimeSpan crlLifetime)
    {
        var now = _time.GetUtcNow();
        var crl = builder.Build(Certificate, number, now + crlLifetime, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1, now.AddMinutes(-5));
        var temporary = CrlPath + ".new";
        File.WriteAllBytes(temporary, crl);
        File.Move(temporary, CrlPath, overwrite: true);
    }

    private static void RemoveOwn(CertificateStore store, string applicationUri)
    {
        foreach (var folder in new[] { store.OwnCerts, store.OwnPrivate })
        {
            if (!Directory.Exists(folder)) continue;
            foreach (var file in Directory.EnumerateFiles(folder))
            {
                using var certificate = TryLoad(file);
                if (certificate is not null && ApplicationCertificates.Uris(certificate).Contains(applicationUri)) File.Delete(file);
            }
        }
    }

    private static X509Certificate2? TryLoad(string file)
    {
        try
        {
            return file.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase)
                ? X509CertificateLoader.LoadPkcs12FromFile(file, null)
                : X509CertificateLoader.LoadCertificateFromFile(file);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
