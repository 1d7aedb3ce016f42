using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Server.Users;

namespace ThermalPlant.OpcUa.Server;

/// <summary>
/// A server's security as configuration writes it, in keys every server host of the suite shares (<c>AllowSecurityNone</c>,
/// <c>SecurityPolicies</c>, <c>SecurityModes</c>, <c>CertificateStorePath</c>, <c>Users</c>, ...): a host's options
/// class derives from it, validates it with <see cref="ValidateSecurity"/> and applies it with <see cref="ApplySecurity"/>.
/// </summary>
public abstract class ServerSecuritySettings
{
    /// <summary>Sets the default of <see cref="CertificateStorePath"/>, which differs between hosts.</summary>
    /// <param name="certificateStorePath">The store used when configuration names none; empty for none.</param>
    protected ServerSecuritySettings(string certificateStorePath) => CertificateStorePath = certificateStorePath;

    /// <summary>
    /// Whether an endpoint with SecurityPolicy None is offered (development); production turns it off. Discovery over
    /// None works either way.
    /// </summary>
    public bool AllowSecurityNone { get; set; } = true;

    /// <summary>
    /// Security policies offered besides None, by name: <c>Basic256Sha256</c>, <c>Aes128_Sha256_RsaOaep</c>,
    /// <c>Aes256_Sha256_RsaPss</c>; each in every one of <see cref="SecurityModes"/>.
    /// </summary>
    public List<string> SecurityPolicies { get; set; } = [];

    /// <summary>Modes the secured policies are offered in: <c>Sign</c>, <c>SignAndEncrypt</c>; none listed means both.</summary>
    public List<MessageSecurityMode> SecurityModes { get; set; } = [];

    /// <summary>
    /// The certificate store (own, trusted, issuers, rejected): the server's certificate is created there on first start,
    /// and client certificates are trusted by moving them from rejected to trusted (<c>thermalplant opcua certificates trust</c>).
    /// </summary>
    public string CertificateStorePath { get; set; }

    /// <summary>Accept untrusted client certificates; for development only.</summary>
    public bool AutoAcceptUntrustedCertificates { get; set; }

    /// <summary>Users and roles; access control is off unless Enabled.</summary>
    public UserSettings Users { get; set; } = new();

    /// <summary>PEM file of the server's certificate; with <see cref="PrivateKeyPath"/>, else the store's (or, without a store, one made at start) is used.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM file of the certificate's private key.</summary>
    public string? PrivateKeyPath { get; set; }

    /// <summary>The endpoints to offer, from <see cref="AllowSecurityNone"/>, <see cref="SecurityPolicies"/> and <see cref="SecurityModes"/>.</summary>
    public IReadOnlyList<EndpointSecurity> Endpoints()
    {
        var endpoints = new List<EndpointSecurity>();
        if (AllowSecurityNone) endpoints.Add(EndpointSecurity.None);
        MessageSecurityMode[] modes = SecurityModes.Count == 0 ? [MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt] : [.. SecurityModes.Distinct()];
        foreach (var name in SecurityPolicies.Distinct(StringComparer.Ordinal))
        {
            var policy = OpcUa.Security.SecurityPolicies.FromName(name);
            foreach (var mode in modes) endpoints.Add(new EndpointSecurity(policy.Uri, mode));
        }
        return endpoints;
    }

    /// <summary><paramref name="options"/> with these endpoints, store, users and certificate; the settings must be valid.</summary>
    public OpcUaServerOptions ApplySecurity(OpcUaServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options with
        {
            Security = Endpoints(),
            CertificateStorePath = string.IsNullOrWhiteSpace(CertificateStorePath) ? null : CertificateStorePath,
            AutoAcceptUntrustedCertificates = AutoAcceptUntrustedCertificates,
            Users = Users.ToOptions(),
            // PEM files when the operator supplies a certificate (a CA's); else the server takes the store's or makes one.
            ApplicationCertificate = string.IsNullOrEmpty(CertificatePath) || string.IsNullOrEmpty(PrivateKeyPath) ? options.ApplicationCertificate : PemCertificate.Load(CertificatePath, PrivateKeyPath),
        };
    }

    /// <summary>Adds one message per invalid security setting, each starting with its key under <paramref name="sectionPath"/>.</summary>
    protected void ValidateSecurity(string sectionPath, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        foreach (var name in SecurityPolicies)
        {
            if (!OpcUa.Security.SecurityPolicies.TryFromName(name, out var policy) || policy.IsNone)
            {
                errors.Add($"{sectionPath}:SecurityPolicies has '{name}'; offered can be Basic256Sha256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss");
            }
        }
        if (SecurityModes.Any(m => m is not (MessageSecurityMode.Sign or MessageSecurityMode.SignAndEncrypt))) errors.Add($"{sectionPath}:SecurityModes can be Sign and SignAndEncrypt");
        if (!AllowSecurityNone && SecurityPolicies.Count == 0) errors.Add($"{sectionPath}:SecurityPolicies must name a policy when AllowSecurityNone is false");
        if (SecurityPolicies.Count > 0 && string.IsNullOrWhiteSpace(CertificateStorePath)) errors.Add($"{sectionPath}:CertificateStorePath must be set when SecurityPolicies are offered");
        if (string.IsNullOrEmpty(CertificatePath) != string.IsNullOrEmpty(PrivateKeyPath)) errors.Add($"{sectionPath}:CertificatePath and {sectionPath}:PrivateKeyPath go together");
        Users.Validate($"{sectionPath}:Users", errors);
    }
}
