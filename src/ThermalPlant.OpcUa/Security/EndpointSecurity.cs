using ThermalPlant.OpcUa.Generated;

namespace ThermalPlant.OpcUa.Security;

/// <summary>A security policy and message security mode an endpoint offers or a client asks for.</summary>
/// <param name="PolicyUri">The security policy URI (see <see cref="SecurityPolicyUris"/>).</param>
/// <param name="Mode">None with policy None; Sign or SignAndEncrypt with any other.</param>
public sealed record EndpointSecurity(string PolicyUri, MessageSecurityMode Mode)
{
    /// <summary>No security: for development and for discovery.</summary>
    public static EndpointSecurity None { get; } = new(SecurityPolicyUris.None, MessageSecurityMode.None);

    /// <summary>The implemented policy this names; BadSecurityPolicyRejected otherwise.</summary>
    public SecurityPolicy Policy => SecurityPolicies.Find(PolicyUri);

    /// <summary>Whether policy and mode go together (None with None, the others with Sign or SignAndEncrypt).</summary>
    public bool IsConsistent => Policy.IsNone ? Mode == MessageSecurityMode.None : Mode is MessageSecurityMode.Sign or MessageSecurityMode.SignAndEncrypt;

    /// <summary>
    /// The SecurityLevel of an endpoint with this security (Part 4, 7.14): 0 for None, higher for stronger policies,
    /// and SignAndEncrypt above any Sign.
    /// </summary>
    public byte SecurityLevel
    {
        get
        {
            var strength = SecurityPolicies.Strength(Policy);
            return Mode switch
            {
                MessageSecurityMode.SignAndEncrypt => (byte)(10 + strength),
                MessageSecurityMode.Sign => strength,
                _ => 0,
            };
        }
    }
}
