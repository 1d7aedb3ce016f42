using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server;

/// <summary>
/// A client's application certificate refused when it opened a secure channel, raised once per certificate (by
/// thumbprint) for the host's log, so that an administrator sees what to trust.
/// </summary>
/// <param name="Subject">The certificate's subject.</param>
/// <param name="Thumbprint">Its SHA-1 thumbprint (hex), as <c>thermalplant opcua certificates trust</c> takes it.</param>
/// <param name="Status">Why, as the status code sent to the client (BadCertificateUntrusted, ...).</param>
/// <param name="Reason">Why, in words.</param>
/// <param name="RejectedFile">The file in the store's <c>rejected/certs</c> it was copied to; null when it was not copied (no store, or a refusal that trusting would not cure).</param>
public sealed record CertificateRejected(string Subject, string Thumbprint, StatusCode Status, string Reason, string? RejectedFile);
