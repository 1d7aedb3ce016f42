using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Client;

/// <summary>
/// The server refused to open the secure channel: an ERR or a ServiceFault in answer to OpenSecureChannel.
/// Its status says why; BadSecurityChecksFailed and BadCertificateUntrusted are how servers say they do not trust the
/// client's certificate.
/// </summary>
public sealed class ChannelRefusedException : OpcUaException
{
    /// <summary>Creates the exception for the server's <paramref name="status"/> and its <paramref name="reason"/>.</summary>
    public ChannelRefusedException(StatusCode status, string reason)
        : base(status, reason)
    {
    }
}
