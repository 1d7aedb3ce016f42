using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ThermalPlant.OpcUa.Security.Certificates;

/// <summary>
/// A certificate store on disk in the layout OPC UA applications share (Part 12, F.1): <c>own/certs</c> and
/// <c>own/private</c> for the application's certificate and key, <c>trusted/certs</c> and <c>trusted/crl</c> for the peers
/// and CAs trusted, <c>issuers/certs</c> and <c>issuers/crl</c> for CAs that only complete chains, <c>rejected/certs</c> for
/// peers refused, kept for an administrator to trust. Certificates are DER files named by their SHA-1 thumbprint.
/// </summary>
public sealed class CertificateStore
{
    /// <summary>Opens (and creates the folders of) the store at <paramref name="path"/>.</summary>
    public CertificateStore(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
        foreach (var folder in new[] { OwnCerts, OwnPrivate, TrustedCerts, TrustedCrl, IssuersCerts, IssuersCrl, RejectedCerts })
        {
            Directory.CreateDirectory(folder);
        }
    }

    /// <summary>The store's root folder.</summary>
    public string Path { get; }

    /// <summary>own/certs.</summary>
    public string OwnCerts => Combine("own", "certs");

    /// <summary>own/private.</summary>
    public string OwnPrivate => Combine("own", "private");

    /// <summary>trusted/certs.</summary>
    public string TrustedCerts => Combine("trusted", "certs");

    /// <summary>trusted/crl.</summary>
    public string TrustedCrl => Combine("trusted", "crl");

    /// <summary>issuers/certs.</summary>
    public string IssuersCerts => Combine("issuers", "certs");

    /// <summary>issuers/crl.</summary>
    public string IssuersCrl => Combine("issuers", "crl");

    /// <summary>rejected/certs.</summary>
    public string RejectedCerts => Combine("rejected", "certs");

    /// <summary>
    /// The application's certificate with its private key: the newest valid one in <c>own</c> whose subjectAltName
    /// carries <paramref name="applicationUri"/>, or a new self-signed one, saved there.
    /// </summary>
    public X509Certificate2 LoadOrCreateApplicationCertificate(string applicationUri, string applicationName, IEnumerable<string> hostNames, TimeProvider time, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(time);
        var now = time.GetUtcNow().UtcDateTime;
        X509Certificate2? best = null;
        foreach (var file in Directory.EnumerateFiles(OwnPrivate, "*.pfx"))
        {
            var candidate = TryLoadPkcs12(file);
            if (candidate is null) continue;
            var usable = candidate.HasPrivateKey && candidate.NotBefore.ToUniversalTime() <= now && candidate.NotAfter.ToUniversalTime() > now
                && ApplicationCertificates.Uris(candidate).Contains(applicationUri);
            if (usable && (best is null || candidate.NotAfter > best.NotAfter))
            {
                best?.Dispose();
                best = candidate;
            }
            else
            {
                candidate.Dispose();
            }
        }
        if (best is not null) return best;

        var created = ApplicationCertificates.Create(applicationUri, applicationName, hostNames, time, lifetime);
        SaveOwn(created);
        return created;
    }

    /// <summary>Saves an application certificate and its private key in <c>own</c> (the key readable by the owner only).</summary>
    public void SaveOwn(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        File.WriteAllBytes(System.IO.Path.Combine(OwnCerts, FileName(certificate)), certificate.RawData);
        var keyFile = System.IO.Path.Combine(OwnPrivate, certificate.Thumbprint + ".pfx");
        File.WriteAllBytes(keyFile, certificate.Export(X509ContentType.Pkcs12));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>The certificates in a folder of the store; files that are not certificates are passed over.</summary>
    public static IReadOnlyList<X509Certificate2> Load(string folder)
    {
        var certificates = new List<X509Certificate2>();
        if (!Directory.Exists(folder)) return certificates;
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            try
            {
                certificates.Add(X509CertificateLoader.LoadCertificateFromFile(file));
            }
            catch (CryptographicException)
            {
                // Not a certificate (a note, a stray file): not part of the store.
            }
        }
        return certificates;
    }

    /// <summary>The CRLs in a folder of the store that parse.</summary>
    public static IReadOnlyList<RevocationList> LoadCrls(string folder)
    {
        var lists = new List<RevocationList>();
        if (!Directory.Exists(folder)) return lists;
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            if (RevocationList.TryParse(File.ReadAllBytes(file)) is { } list) lists.Add(list);
        }
        return lists;
    }

    /// <summary>Keeps a refused peer certificate in <c>rejected/certs</c> (once).</summary>
    public void AddRejected(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var file = System.IO.Path.Combine(RejectedCerts, FileName(certificate));
        if (File.Exists(file)) return;
        try
        {
            File.WriteAllBytes(file, certificate.RawData);
        }
        catch (IOException)
        {
            // Another connection of the same peer is writing the same file at this moment.
        }
    }

    /// <summary>Adds a certificate to <c>trusted/certs</c>.</summary>
    public void AddTrusted(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        File.WriteAllBytes(System.IO.Path.Combine(TrustedCerts, FileName(certificate)), certificate.RawData);
    }

    /// <summary>
    /// Moves the certificate whose thumbprint starts with <paramref name="thumbprint"/> from <paramref name="from"/> to
    /// <paramref name="to"/>; returns it, or null when no single certificate there matches.
    /// </summary>
    public static X509Certificate2? Move(string from, string to, string thumbprint)
    {
        ArgumentException.ThrowIfNullOrEmpty(thumbprint);
        X509Certificate2? match = null;
        string? matchFile = null;
        foreach (var file in Directory.EnumerateFiles(from))
        {
            X509Certificate2 certificate;
            try
            {
                certificate = X509CertificateLoader.LoadCertificateFromFile(file);
            }
            catch (CryptographicException)
            {
                continue;
            }
            if (!certificate.Thumbprint.StartsWith(thumbprint, StringComparison.OrdinalIgnoreCase))
            {
                certificate.Dispose();
                continue;
            }
            if (match is not null)
            {
                certificate.Dispose();
                match.Dispose();
                return null;
            }
            (match, matchFile) = (certificate, file);
        }
        if (match is null || matchFile is null) return null;
        Directory.CreateDirectory(to);
        File.WriteAllBytes(System.IO.Path.Combine(to, FileName(match)), match.RawData);
        File.Delete(matchFile);
        return match;
    }

    /// <summary>A file name that says whose certificate it is and cannot collide: <c>CN [thumbprint].der</c>.</summary>
    public static string FileName(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var name = certificate.GetNameInfo(X509NameType.SimpleName, false);
        var safe = string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_' or '.' ? c : '_'));
        return $"{safe} [{certificate.Thumbprint}].der";
    }

    private static X509Certificate2? TryLoadPkcs12(string file)
    {
        try
        {
            return X509CertificateLoader.LoadPkcs12FromFile(file, null, X509KeyStorageFlags.Exportable);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private string Combine(string a, string b) => System.IO.Path.Combine(Path, a, b);
}
