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
        return Find(nameOrUri.Contains('#', StringComparison.Ordinal) ? nameOrUri : "http://opcfoundation.org/UA/SecurityPolicy#" + nameOrUri);
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
