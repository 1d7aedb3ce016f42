using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;

namespace ThermalPlant.OpcUa.Client;

/// <summary>
/// The security a client asks of an endpoint as configuration writes it: the policy by its short name, the mode, the
/// client's certificate store and the user to log in as. Every client of the suite validates and applies it here, so
/// that they accept the same settings and refuse the same mistakes with the same messages.
/// </summary>
/// <param name="SecurityPolicy"><c>None</c>, <c>Basic256Sha256</c>, <c>Aes128_Sha256_RsaOaep</c>, <c>Aes256_Sha256_RsaPss</c> (or a policy URI).</param>
/// <param name="SecurityMode">None with policy None; Sign or SignAndEncrypt with any other.</param>
/// <param name="CertificateStorePath">The client's certificate store (own, trusted, rejected); needed with any policy but None.</param>
/// <param name="UserName">The user to log in as; anonymous when empty.</param>
/// <param name="Password">The password of <paramref name="UserName"/>; null exactly when there is no user.</param>
/// <param name="CheckServerHostName">Whether the server's certificate must name the host connected to (see <see cref="OpcUaClientOptions.CheckServerHostName"/>).</param>
public sealed record ClientSecuritySettings(string SecurityPolicy, MessageSecurityMode SecurityMode, string? CertificateStorePath, string? UserName = null, string? Password = null, bool CheckServerHostName = true)
{
    /// <summary>Adds one message per invalid setting, each starting with its key under <paramref name="prefix"/>.</summary>
    public void Validate(string prefix, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (string.IsNullOrEmpty(UserName) != (Password is null)) errors.Add($"{prefix}:UserName and {prefix}:Password go together (set both for a user login, neither for an anonymous one)");
        if (!SecurityPolicies.TryFromName(SecurityPolicy, out var policy))
        {
            errors.Add($"{prefix}:SecurityPolicy must be one of {string.Join(", ", SecurityPolicies.Names)}, found '{SecurityPolicy}'");
            return;
        }
        if (!new EndpointSecurity(policy.Uri, SecurityMode).IsConsistent) errors.Add($"{prefix}:SecurityMode {SecurityMode} does not go with SecurityPolicy {SecurityPolicy} (None goes with None, the others with Sign or SignAndEncrypt)");
        if (!policy.IsNone && string.IsNullOrWhiteSpace(CertificateStorePath)) errors.Add($"{prefix}:CertificateStorePath must be set for SecurityPolicy {SecurityPolicy}");
    }

    /// <summary>The credentials of the session: the user when one is set, anonymous otherwise.</summary>
    public UserCredentials Credentials() => string.IsNullOrEmpty(UserName) ? UserCredentials.Anonymous : UserCredentials.FromUserName(UserName, Password ?? string.Empty);

    /// <summary><paramref name="options"/> with this endpoint security, store and user; the settings must be valid.</summary>
    public OpcUaClientOptions ApplyTo(OpcUaClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options with
        {
            SecurityPolicyUri = SecurityPolicies.FromName(SecurityPolicy).Uri,
            SecurityMode = SecurityMode,
            CertificateStorePath = string.IsNullOrWhiteSpace(CertificateStorePath) ? null : CertificateStorePath,
            Credentials = Credentials(),
            CheckServerHostName = CheckServerHostName,
        };
    }

    /// <summary>Policy, mode and user for logs; never the password.</summary>
    public override string ToString() => $"{SecurityPolicy} {SecurityMode} as {(string.IsNullOrEmpty(UserName) ? "anonymous" : UserName)}";
}
