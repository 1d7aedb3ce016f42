namespace ThermalPlant.OpcUa.Server.Users;

/// <summary>
/// A session re-activated for another user or role (Part 4, 5.6.3 lets a client change the user of a session);
/// raised for the host to log, after the new identity passed the authenticator.
/// </summary>
/// <param name="SessionName">The name the client gave the session.</param>
/// <param name="PreviousUserName">The user before; null for anonymous.</param>
/// <param name="PreviousRole">The role before.</param>
/// <param name="UserName">The user now; null for anonymous.</param>
/// <param name="Role">The role now.</param>
/// <param name="SubscriptionsDeleted">The session's subscriptions deleted because the new role may not read or subscribe.</param>
public sealed record IdentityChanged(string? SessionName, string? PreviousUserName, string PreviousRole, string? UserName, string Role, int SubscriptionsDeleted = 0);
