using ThermalPlant.OpcUa.Generated;

namespace ThermalPlant.OpcUa.Server.Users;

/// <summary>Who a session acts for, as ActivateSession established it, and what the role lets it do.</summary>
/// <param name="TokenType">How the user proved its identity.</param>
/// <param name="UserName">The user name; null for anonymous sessions.</param>
/// <param name="Role">The role's name.</param>
/// <param name="Permissions">What the role may do.</param>
public sealed record UserIdentity(UserTokenType TokenType, string? UserName, string Role, UserPermissions Permissions)
{
    /// <summary>The identity of sessions on a server without access control: anonymous, allowed everything.</summary>
    public static UserIdentity Unrestricted { get; } = new(UserTokenType.Anonymous, null, "Unrestricted", UserPermissions.All);

    /// <summary>
    /// Whether <paramref name="other"/> is the same user (same token type and user name), as Part 4 asks when a session
    /// moves to a new channel (5.6.3) and when a subscription moves to another session (5.13.7).
    /// </summary>
    public bool IsSameUser(UserIdentity other) =>
        other is not null && TokenType == other.TokenType && string.Equals(UserName, other.UserName, StringComparison.Ordinal);

    /// <summary>Whether the role grants <paramref name="permission"/>.</summary>
    public bool May(UserPermissions permission) => (Permissions & permission) == permission;
}
