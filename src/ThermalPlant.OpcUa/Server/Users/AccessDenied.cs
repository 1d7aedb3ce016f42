using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Users;

/// <summary>A refused login or a refused request, raised for the host to log with the reason.</summary>
/// <param name="Service">The service refused (ActivateSession, Write, HistoryRead, CreateSubscription...).</param>
/// <param name="UserName">The user name claimed or established; null for anonymous sessions.</param>
/// <param name="Role">The session's role; null when the login itself was refused.</param>
/// <param name="Status">The status code returned.</param>
/// <param name="Reason">Why, in words (never the secret).</param>
/// <param name="Nodes">The nodes of the operations refused; null when the whole service or login was refused.</param>
public sealed record AccessDenied(string Service, string? UserName, string? Role, StatusCode Status, string Reason, IReadOnlyList<NodeId>? Nodes = null)
{
    /// <summary>The refused nodes as one comma list for a log field; empty when the whole service or login was refused.</summary>
    public string NodeList => Nodes is null ? string.Empty : string.Join(", ", Nodes);
}
