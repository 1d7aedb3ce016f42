using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Security.Certificates;

/// <summary>
/// Decides whether a peer's application certificate is accepted (Part 4, 6.1.3): validity period, a chain to a
/// certificate in <c>trusted</c> (the peer itself or a CA, with <c>issuers</c> completing chains), and no revocation by a
/// CRL of its issuer. Each failure is its own Bad status code; an untrusted certificate is kept in <c>rejected</c>. The
/// store is read on every check, so a certificate an administrator trusts is accepted without a restart.
/// </summary>
public sealed class CertificateValidator(CertificateStore store, TimeProvider time, bool acceptUntrusted = false)
{
    /// <summary>The store checked against.</summary>
    public CertificateStore Store { get; } = store ?? throw new ArgumentNullException(nameof(store));

    /// <summary>Accepts <paramref name="certificate"/> or throws <see cref="OpcUaException"/> with the reason's status code.</summary>
    public void Validate(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var now = time.GetUtcNow().UtcDateTime;
        if (!ValidAt(certificate, now))
        {
            throw new OpcUaException(StatusCodes.BadCertificateTimeInvalid, $"certificate {certificate.Subject} is valid {certificate.NotBefore:u} to {certificate.NotAfter:u}");
        }

        var trusted = CertificateStore.Load(Store.TrustedCerts);
        var issuers = CertificateStore.Load(Store.IssuersCerts);
        try
        {
            var chain = Chain(certificate, trusted, issuers, now);
            if (chain is null)
            {
                if (acceptUntrusted) return;
                Store.AddRejected(certificate);
                throw new UntrustedCertificateException(certificate, Store);
            }
            CheckIssuers(chain, now);
        }
        finally
        {
            foreach (var c in trusted) c.Dispose();
            foreach (var c in issuers) c.Dispose();
        }
    }

    /// <summary>
    /// Checks that <paramref name="certificate"/> names <paramref name="applicationUri"/> in its subjectAltName
    /// (BadCertificateUriInvalid otherwise), as CreateSession requires.
    /// </summary>
    public static void CheckApplicationUri(X509Certificate2 certificate, string? applicationUri)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (applicationUri is null || !ApplicationCertificates.Uris(certificate).Contains(applicationUri))
        {
            throw new OpcUaException(StatusCodes.BadCertificateUriInvalid, $"certificate {certificate.Subject} does not name the application URI {applicationUri}");
        }
    }

    /// <summary>The chain from the certificate to a trusted one, leaf first; null when there is none.</summary>
    private static List<X509Certificate2>? Chain(X509Certificate2 certificate, IReadOnlyList<X509Certificate2> trusted, IReadOnlyList<X509Certificate2> issuers, DateTime now)
    {
        if (Contains(trusted, certificate)) return [certificate];
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now;
        // Time is checked here with the right codes; the chain only answers "does it lead to a trusted CA".
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid | X509VerificationFlags.IgnoreCtlNotTimeValid;
        foreach (var anchor in trusted) chain.ChainPolicy.CustomTrustStore.Add(anchor);
        foreach (var issuer in issuers) chain.ChainPolicy.ExtraStore.Add(issuer);
        if (!chain.Build(certificate)) return null;
        var elements = new List<X509Certificate2>(chain.ChainElements.Count);
        var anchored = false;
        foreach (var element in chain.ChainElements)
        {
            elements.Add(element.Certificate);
            anchored |= Contains(trusted, element.Certificate);
        }
        return anchored ? elements : null;
    }

    /// <summary>Every certificate the leaf's trust rests on must be valid now and not revoked by its issuer's CRL.</summary>
    private void CheckIssuers(List<X509Certificate2> chain, DateTime now)
    {
        var crls = new List<RevocationList>();
        crls.AddRange(CertificateStore.LoadCrls(Store.TrustedCrl));
        crls.AddRange(CertificateStore.LoadCrls(Store.IssuersCrl));
        for (var i = 0; i < chain.Count; i++)
        {
            var certificate = chain[i];
            if (i > 0 && !ValidAt(certificate, now))
            {
                throw new OpcUaException(StatusCodes.BadCertificateIssuerTimeInvalid, $"issuer {certificate.Subject} is not valid now");
            }
            var selfSigned = certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);
            var issuer = selfSigned ? certificate : i + 1 < chain.Count ? chain[i + 1] : null;
            if (issuer is null) continue;
            var checkedByCrl = false;
            foreach (var crl in crls)
            {
                if (!crl.IsSignedBy(issuer)) continue;
                checkedByCrl = true;
                if (crl.Revokes(certificate))
                {
                    throw new OpcUaException(i == 0 ? StatusCodes.BadCertificateRevoked : StatusCodes.BadCertificateIssuerRevoked, $"certificate {certificate.Subject} is revoked by its issuer");
                }
            }
            // A CA-issued certificate needs its CA's CRL to be known good; a self-signed one has no one to revoke it.
            if (!selfSigned && !checkedByCrl)
            {
                throw new OpcUaException(i == 0 ? StatusCodes.BadCertificateRevocationUnknown : StatusCodes.BadCertificateIssuerRevocationUnknown, $"no CRL of {issuer.Subject} in the store");
            }
        }
    }

    private static bool ValidAt(X509Certificate2 certificate, DateTime now) =>
        certificate.NotBefore.ToUniversalTime() <= now && now <= certificate.NotAfter.ToUniversalTime();

    private static bool Contains(IReadOnlyList<X509Certificate2> certificates, X509Certificate2 certificate)
    {
        foreach (var candidate in certificates)
        {
            if (candidate.RawDataMemory.Span.SequenceEqual(certificate.RawDataMemory.Span)) return true;
        }
        return false;
    }
}
