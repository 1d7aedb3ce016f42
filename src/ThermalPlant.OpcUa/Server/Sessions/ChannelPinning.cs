using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Sessions;

/// <summary>
/// Which secure channels may activate a session (Part 4, 5.6.3): the first ActivateSession only the channel that
/// created it; a later one (the client reconnected) any channel of the same client, that is one whose client
/// certificate is the one the session was created with, so a session created on SecurityPolicy None cannot be taken
/// over on a secured channel and a secured one cannot be moved to a channel without a certificate.
/// </summary>
internal static class ChannelPinning
{
    /// <summary>The SHA-256 thumbprint (hex) of a channel's client certificate; null for SecurityPolicy None.</summary>
    public static string? Thumbprint(X509Certificate2? clientCertificate) => clientCertificate?.GetCertHashString(HashAlgorithmName.SHA256);

    /// <summary>
    /// Throws unless <paramref name="session"/> may be activated on channel <paramref name="channelId"/> whose client
    /// certificate has <paramref name="clientThumbprint"/>; returns whether the activation moves the session to it.
    /// </summary>
    public static bool CheckActivation(Session session, uint channelId, string? clientThumbprint)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (session.ChannelId == channelId) return false;
        // The spec names no code for either refusal: BadSecureChannelIdInvalid says the channel is not the session's;
        // BadSecurityChecksFailed that the new channel's application is not the one that created the session.
        if (!session.IsActivated) throw new OpcUaException(StatusCodes.BadSecureChannelIdInvalid, "the first ActivateSession must come on the channel that created the session");
        if (!string.Equals(session.ClientThumbprint, clientThumbprint, StringComparison.OrdinalIgnoreCase))
        {
            throw new OpcUaException(StatusCodes.BadSecurityChecksFailed, $"the new channel's client certificate ({clientThumbprint ?? "none"}) is not the one the session was created with ({session.ClientThumbprint ?? "none"})");
        }
        return true;
    }
}
