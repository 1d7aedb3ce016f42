using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Security.Certificates;

/// <summary>
/// BadCertificateUntrusted raised by our own store's check of a peer's certificate (not a peer's refusal of ours): it
/// names the certificate and the store it was copied to, so that a caller can say how to trust it.
/// </summary>
public sealed class UntrustedCertificateException : OpcUaException
{
    /// <summary>Creates the exception for <paramref name="certificate"/>, just copied to the rejected folder of <paramref name="store"/>.</summary>
    public UntrustedCertificateException(X509Certificate2 certificate, CertificateStore store)
        : base(StatusCodes.BadCertificateUntrusted, $"certificate {certificate?.Subject} [{certificate?.Thumbprint}] is not trusted; it was copied to rejected/certs")
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(store);
        Subject = certificate.Subject;
        Thumbprint = certificate.Thumbprint;
        StorePath = store.Path;
    }

    /// <summary>The subject of the certificate that is not trusted.</summary>
    public string Subject { get; }

    /// <summary>Its SHA-1 thumbprint (hex), as <c>thermalplant opcua certificates trust</c> takes it.</summary>
    public string Thumbprint { get; }

    /// <summary>The store whose <c>rejected/certs</c> now holds it and whose <c>trusted/certs</c> it must move to.</summary>
    public string StorePath { get; }
}
