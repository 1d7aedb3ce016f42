using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server;

/// <summary>
/// What the server's channels and sessions need to know about security: the endpoints offered, the application
/// certificate and its key, and whether a client's certificate is accepted.
/// </summary>
internal sealed class ServerSecurity
{
    /// <summary>Thumbprints remembered as reported; beyond it the memory starts again (a certificate may be reported twice).</summary>
    private const int MaxReported = 10_000;

    private readonly CertificateValidator _validator;
    private readonly CertificateStore? _store;
    private readonly Action<CertificateRejected>? _rejected;
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);

    public ServerSecurity(OpcUaServerOptions options, TimeProvider time, Action<CertificateRejected>? rejected = null)
    {
        _rejected = rejected;
        Endpoints = [.. options.Security];
        if (Endpoints.Count == 0) throw new ArgumentException("at least one endpoint security is needed", nameof(options));
        foreach (var endpoint in Endpoints)
        {
            if (!endpoint.IsConsistent) throw new ArgumentException($"security mode {endpoint.Mode} does not go with {endpoint.PolicyUri}", nameof(options));
        }
        var secured = Endpoints.Exists(e => !e.Policy.IsNone);
        var store = options.CertificateStorePath is { Length: > 0 } path ? new CertificateStore(path) : null;
        _store = store;
        if (secured && store is null && !options.AutoAcceptUntrustedCertificates)
        {
            throw new ArgumentException("secured endpoints need a CertificateStorePath to trust client certificates by", nameof(options));
        }
        // Users need the certificate's key to decrypt passwords even when only None is offered.
        var needsCertificate = secured || options.Users is { Users.Count: > 0 };
        var hosts = ApplicationCertificates.LocalHostNames(options.HostName);
        Certificate = options.ApplicationCertificate
            ?? (needsCertificate && store is not null ? store.LoadOrCreateApplicationCertificate(options.ApplicationUri, options.ApplicationName, hosts, time, options.CertificateLifetime) : null)
            ?? (needsCertificate ? ApplicationCertificates.Create(options.ApplicationUri, options.ApplicationName, hosts, time, options.CertificateLifetime) : null);
        if (Certificate is not null)
        {
            if (!Certificate.HasPrivateKey) throw new ArgumentException("the application certificate needs its private key", nameof(options));
            using var key = Certificate.GetRSAPrivateKey() ?? throw new ArgumentException("the application certificate needs an RSA key", nameof(options));
            Thumbprint = ApplicationCertificates.Thumbprint(Certificate);
        }
        _validator = new CertificateValidator(store, time, options.AutoAcceptUntrustedCertificates);
    }

    /// <summary>The endpoints offered.</summary>
    public List<EndpointSecurity> Endpoints { get; }

    /// <summary>The server's certificate; null when only None is offered and none was configured.</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>
    /// A handle on the certificate's private key for one operation (the caller disposes it): connections open channels
    /// on their own threads, and an RSA object is not promised to be safe for concurrent use.
    /// </summary>
    public RSA PrivateKey() => Certificate?.GetRSAPrivateKey() ?? throw new OpcUaException(StatusCodes.BadSecurityPolicyRejected, "the server has no certificate");

    /// <summary>The certificate's SHA-1 thumbprint.</summary>
    public byte[]? Thumbprint { get; }

    /// <summary>Whether sessions may be created on a channel with this policy and mode.</summary>
    public bool Offers(SecurityPolicy policy, MessageSecurityMode mode)
    {
        // A loop, not Exists with a lambda: this runs for every request, and the lambda's closure would be allocated each time.
        foreach (var endpoint in Endpoints)
        {
            if (endpoint.Mode == mode && endpoint.PolicyUri == policy.Uri) return true;
        }
        return false;
    }

    /// <summary>
    /// The policy a channel asks for: one offered, or None for discovery; BadSecurityPolicyRejected otherwise.
    /// </summary>
    public SecurityPolicy Policy(string? uri)
    {
        var policy = SecurityPolicies.Find(uri);
        if (!policy.IsNone && !Endpoints.Exists(e => e.PolicyUri == policy.Uri))
        {
            throw new OpcUaException(StatusCodes.BadSecurityPolicyRejected, $"security policy {uri} is not offered");
        }
        return policy;
    }

    /// <summary>
    /// Checks the security header of a secured OpenSecureChannel: addressed to our certificate, from a client
    /// certificate the validator accepts for <paramref name="policy"/> (Part 4, 6.1.3). Returns the client's certificate.
    /// </summary>
    public X509Certificate2 AcceptClient(SecurityPolicy policy, byte[]? senderCertificate, byte[]? receiverThumbprint)
    {
        if (Thumbprint is null) throw new OpcUaException(StatusCodes.BadSecurityPolicyRejected, "the server has no certificate");
        if (receiverThumbprint is null || !receiverThumbprint.AsSpan().SequenceEqual(Thumbprint))
        {
            throw new OpcUaException(StatusCodes.BadCertificateInvalid, "the message is not addressed to this server's certificate");
        }
        var certificate = ApplicationCertificates.FromByteString(senderCertificate);
        try
        {
            _validator.Validate(certificate, policy, ApplicationType.Client);
        }
        catch (OpcUaException ex)
        {
            ReportRejected(certificate, ex);
            throw;
        }
        return certificate;
    }

    /// <summary>Reports a refused certificate the first time it is seen; a client retrying every second is one line.</summary>
    private void ReportRejected(X509Certificate2 certificate, OpcUaException refusal)
    {
        if (_rejected is null) return;
        var thumbprint = certificate.Thumbprint;
        lock (_reported)
        {
            if (_reported.Count >= MaxReported) _reported.Clear();
            if (!_reported.Add(thumbprint)) return;
        }
        var file = _store is null ? null : System.IO.Path.Combine(_store.RejectedCerts, CertificateStore.FileName(certificate));
        _rejected(new CertificateRejected(certificate.Subject, thumbprint, refusal.Status, refusal.Message, file is not null && File.Exists(file) ? file : null));
    }
}
