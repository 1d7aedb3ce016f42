using System.Net;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Security.Certificates;

/// <summary>
/// Decides whether a peer's application certificate is accepted, in the steps and with the Bad status codes of
/// Part 4, 6.1.3: the chain to a self-signed certificate through <c>trusted</c> and <c>issuers</c> (ChainIncomplete),
/// its signatures (Invalid), the security policy's key length and hash (PolicyCheckFailed), a certificate of the chain in
/// <c>trusted</c> (Untrusted), validity periods (TimeInvalid, IssuerTimeInvalid), key usages (UseNotAllowed,
/// IssuerUseNotAllowed), and a current CRL of each issuer (RevocationUnknown, Revoked and their Issuer forms). A
/// certificate refused for want of trust (untrusted or its chain incomplete) is kept in <c>rejected</c> for an
/// administrator. The store is read on every check, so a certificate an administrator trusts is accepted without a restart.
/// </summary>
/// <param name="store">The store trusted by; null trusts nothing (only <paramref name="acceptUntrusted"/> then accepts).</param>
/// <param name="time">The clock validity periods and CRLs are judged by.</param>
/// <param name="acceptUntrusted">Accept a complete chain that no trusted certificate anchors (every other step still applies).</param>
public sealed class CertificateValidator(CertificateStore? store, TimeProvider time, bool acceptUntrusted = false)
{
    // Deeper than any real PKI; stops a loop of certificates that name each other.
    private const int MaxChainLength = 8;

    /// <summary>The store checked against; null when there is none.</summary>
    public CertificateStore? Store { get; } = store;

    /// <summary>
    /// Accepts <paramref name="certificate"/> for a channel with <paramref name="policy"/> from a peer acting as
    /// <paramref name="role"/>, or throws <see cref="OpcUaException"/> with the first failed step's status code.
    /// </summary>
    public void Validate(X509Certificate2 certificate, SecurityPolicy policy, ApplicationType role)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(policy);
        var now = time.GetUtcNow().UtcDateTime;
        var trusted = Store is null ? [] : CertificateStore.Load(Store.TrustedCerts);
        var issuers = Store is null ? [] : CertificateStore.Load(Store.IssuersCerts);
        try
        {
            var chain = Chain(certificate, trusted, issuers);
            CertificatePolicyCheck.Check(chain, policy);
            var anchored = chain.Exists(c => Contains(trusted, c));
            if (!anchored && !acceptUntrusted) throw Untrusted(certificate);
            CheckValidity(chain, now);
            CertificateUsage.CheckApplicationInstance(certificate, role);
            foreach (var issuer in chain.Skip(1)) CertificateUsage.CheckIssuer(issuer);
            // An untrusted chain accepted by choice has no CA whose CRLs mean anything.
            if (anchored) CheckRevocation(chain, now);
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

    /// <summary>
    /// Checks that <paramref name="certificate"/> names <paramref name="host"/> (the host of the endpoint URL a client
    /// connected to) in its subjectAltName: a DNS name, case-insensitive, or an IP address; BadCertificateHostNameInvalid
    /// otherwise (Part 4, 6.1.3, Host Name).
    /// </summary>
    public static void CheckHostName(X509Certificate2 certificate, string host)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentException.ThrowIfNullOrEmpty(host);
        var dnsNames = ApplicationCertificates.DnsNames(certificate);
        var addresses = ApplicationCertificates.IpAddresses(certificate);
        var found = IPAddress.TryParse(host, out var address)
            ? addresses.Contains(address)
            : dnsNames.Contains(host.TrimEnd('.'), StringComparer.OrdinalIgnoreCase);
        if (!found)
        {
            var named = string.Join(", ", dnsNames.Concat(addresses.Select(a => a.ToString())));
            throw new OpcUaException(StatusCodes.BadCertificateHostNameInvalid, $"certificate {certificate.Subject} does not name the host {host} (it names {named})");
        }
    }

    /// <summary>
    /// The chain from the certificate up to a self-signed one, leaf first, each issuer found in <c>trusted</c> or
    /// <c>issuers</c> by name and checked by its signature (Part 4, 6.1.3, Build Certificate Chain and Signature).
    /// A certificate in <c>trusted</c> itself needs no chain.
    /// </summary>
    private List<X509Certificate2> Chain(X509Certificate2 certificate, IReadOnlyList<X509Certificate2> trusted, IReadOnlyList<X509Certificate2> issuers)
    {
        var chain = new List<X509Certificate2> { certificate };
        if (Contains(trusted, certificate)) return chain;
        var current = certificate;
        while (!IsSelfIssued(current))
        {
            var issuer = Issuer(current, trusted) ?? Issuer(current, issuers);
            if (issuer is null || chain.Count == MaxChainLength || chain.Exists(c => Same(c, issuer)))
            {
                throw Rejected(certificate, StatusCodes.BadCertificateChainIncomplete, $"has no issuer {current.Issuer} in trusted or issuers");
            }
            chain.Add(issuer);
            current = issuer;
        }
        if (!SignedData.Of(current).IsSignedBy(current))
        {
            throw new OpcUaException(StatusCodes.BadCertificateInvalid, $"the self-signature of {current.Subject} does not verify");
        }
        return chain;
    }

    /// <summary>The certificate among <paramref name="candidates"/> whose key signed <paramref name="certificate"/>.</summary>
    private static X509Certificate2? Issuer(X509Certificate2 certificate, IReadOnlyList<X509Certificate2> candidates)
    {
        var signed = SignedData.Of(certificate);
        foreach (var candidate in candidates)
        {
            if (candidate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData) && signed.IsSignedBy(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>Every certificate of the chain must be valid now (Part 4, 6.1.3, Validity Period).</summary>
    private static void CheckValidity(List<X509Certificate2> chain, DateTime now)
    {
        for (var i = 0; i < chain.Count; i++)
        {
            var certificate = chain[i];
            if (certificate.NotBefore.ToUniversalTime() <= now && now <= certificate.NotAfter.ToUniversalTime()) continue;
            throw new OpcUaException(i == 0 ? StatusCodes.BadCertificateTimeInvalid : StatusCodes.BadCertificateIssuerTimeInvalid, $"certificate {certificate.Subject} is valid {certificate.NotBefore:u} to {certificate.NotAfter:u}");
        }
    }

    /// <summary>
    /// No certificate of the chain may be revoked by a CRL of its issuer, and each one a CA issued needs such a CRL that
    /// is current and signed by that CA (Part 4, 6.1.3, Find Revocation List and Revocation Check).
    /// </summary>
    private void CheckRevocation(List<X509Certificate2> chain, DateTime now)
    {
        var crls = Store is null ? [] : CertificateStore.LoadCrls(Store.TrustedCrl).Concat(CertificateStore.LoadCrls(Store.IssuersCrl)).ToList();
        for (var i = 0; i < chain.Count; i++)
        {
            var certificate = chain[i];
            var selfSigned = IsSelfIssued(certificate);
            var issuer = selfSigned ? certificate : i + 1 < chain.Count ? chain[i + 1] : null;
            if (issuer is null) continue;
            var checkedByCrl = false;
            foreach (var crl in crls)
            {
                if (!crl.IsCurrentAt(now) || !crl.IsSignedBy(issuer)) continue;
                checkedByCrl = true;
                if (crl.Revokes(certificate))
                {
                    throw new OpcUaException(i == 0 ? StatusCodes.BadCertificateRevoked : StatusCodes.BadCertificateIssuerRevoked, $"certificate {certificate.Subject} is revoked by its issuer");
                }
            }
            // A CA-issued certificate needs its CA's CRL to be known good; a self-signed one has no one to revoke it.
            if (!selfSigned && !checkedByCrl)
            {
                throw new OpcUaException(i == 0 ? StatusCodes.BadCertificateRevocationUnknown : StatusCodes.BadCertificateIssuerRevocationUnknown, $"no current CRL of {issuer.Subject} in the store");
            }
        }
    }

    /// <summary>
    /// BadCertificateUntrusted; with a store, the certificate is kept in <c>rejected</c> and the error names it and the
    /// store, so that a caller can say how to trust it.
    /// </summary>
    private OpcUaException Untrusted(X509Certificate2 certificate)
    {
        if (Store is null) return Rejected(certificate, StatusCodes.BadCertificateUntrusted, "is not trusted (there is no certificate store to trust it in)");
        Store.AddRejected(certificate);
        return new UntrustedCertificateException(certificate, Store);
    }

    /// <summary>Keeps the certificate in <c>rejected</c> (when there is a store) and returns the error to throw.</summary>
    private OpcUaException Rejected(X509Certificate2 certificate, uint status, string why)
    {
        Store?.AddRejected(certificate);
        var kept = Store is null ? "" : "; it was copied to rejected/certs";
        return new OpcUaException(status, $"certificate {certificate.Subject} [{certificate.Thumbprint}] {why}{kept}");
    }

    private static bool IsSelfIssued(X509Certificate2 certificate) =>
        certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);

    private static bool Contains(IReadOnlyList<X509Certificate2> certificates, X509Certificate2 certificate) =>
        certificates.Any(candidate => Same(candidate, certificate));

    private static bool Same(X509Certificate2 a, X509Certificate2 b) => a.RawDataMemory.Span.SequenceEqual(b.RawDataMemory.Span);
}
