using System.Diagnostics.CodeAnalysis;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Security;

/// <summary>The security policies this stack implements, found by URI.</summary>
public static class SecurityPolicies
{
    /// <summary>SecurityPolicy None.</summary>
    public static SecurityPolicy None { get; } = new NoneSecurityPolicy();

    /// <summary>Every policy, None first, then from the weakest to the strongest.</summary>
    public static IReadOnlyList<SecurityPolicy> All { get; } =
        [None, RsaAesSecurityPolicy.Aes128Sha256RsaOaep, RsaAesSecurityPolicy.Basic256Sha256, RsaAesSecurityPolicy.Aes256Sha256RsaPss];

    /// <summary>The short names of <see cref="All"/> (<c>None</c>, <c>Basic256Sha256</c>, ...), for help texts and messages.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(p => p.Uri[(p.Uri.IndexOf('#', StringComparison.Ordinal) + 1)..])];

    /// <summary>The policy with <paramref name="uri"/>; BadSecurityPolicyRejected when this stack does not implement it.</summary>
    public static SecurityPolicy Find(string? uri)
    {
        foreach (var policy in All)
        {
            if (string.Equals(policy.Uri, uri, StringComparison.Ordinal)) return policy;
        }
        throw new OpcUaException(StatusCodes.BadSecurityPolicyRejected, $"security policy {uri} is not implemented");
    }

    /// <summary>
    /// The policy named by its short name as configuration writes it (<c>Basic256Sha256</c>, <c>Aes256_Sha256_RsaPss</c>)
    /// or by its URI; BadSecurityPolicyRejected when this stack does not implement it.
    /// </summary>
    public static SecurityPolicy FromName(string nameOrUri)
    {
        ArgumentNullException.ThrowIfNull(nameOrUri);
        return TryFromName(nameOrUri, out var policy) ? policy : Find(nameOrUri);
    }

    /// <summary>
    /// Finds the policy named as <see cref="FromName"/> accepts it; false when the name is empty or this stack does not
    /// implement the policy, so that configuration validation can say so without catching.
    /// </summary>
    public static bool TryFromName(string? nameOrUri, [NotNullWhen(true)] out SecurityPolicy? policy)
    {
        var uri = nameOrUri is null || nameOrUri.Contains('#', StringComparison.Ordinal) ? nameOrUri : "http://opcfoundation.org/UA/SecurityPolicy#" + nameOrUri;
        policy = All.FirstOrDefault(p => string.Equals(p.Uri, uri, StringComparison.Ordinal));
        return policy is not null;
    }

    /// <summary>
    /// The policy whose asymmetric algorithms protect user identity tokens under <paramref name="uri"/> (the encrypted
    /// secret's RSA padding, the user certificate's signature); None and unknown policies have none, so they are
    /// BadSecurityPolicyRejected.
    /// </summary>
    public static SecurityPolicy ForUserTokens(string? uri) =>
        UserTokenPolicy(uri) ?? throw new OpcUaException(StatusCodes.BadSecurityPolicyRejected, $"user tokens cannot be protected with security policy '{uri}'");

    /// <summary>Whether <see cref="ForUserTokens"/> finds a policy for <paramref name="uri"/>.</summary>
    public static bool CanProtectUserTokens(string? uri) => UserTokenPolicy(uri) is not null;

    private static SecurityPolicy? UserTokenPolicy(string? uri)
    {
        foreach (var policy in All)
        {
            if (!policy.IsNone && string.Equals(policy.Uri, uri, StringComparison.Ordinal)) return policy;
        }
        return null;
    }

    /// <summary>A relative strength used for SecurityLevel: None 0, then higher for stronger algorithms.</summary>
    public static byte Strength(SecurityPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        for (var i = 0; i < All.Count; i++)
        {
            if (ReferenceEquals(All[i], policy)) return (byte)i;
        }
        return 0;
    }
}
