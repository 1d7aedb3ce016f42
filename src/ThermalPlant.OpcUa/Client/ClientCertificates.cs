using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Security.Certificates;

namespace ThermalPlant.OpcUa.Client;

/// <summary>Where a client's application instance certificate comes from.</summary>
public static class ClientCertificates
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(5 * 365);

    /// <summary>The configured certificate, else the store's (created there on first use), else a new one for this client only.</summary>
    /// <remarks>A caller may ask again after a refusal to say which certificate the server refused; it gets the same one.</remarks>
    public static X509Certificate2 Resolve(OpcUaClientOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ApplicationCertificate is { } configured) return configured;
        var hosts = ApplicationCertificates.LocalHostNames();
        return options.CertificateStorePath is { Length: > 0 } path
            ? new CertificateStore(path).LoadOrCreateApplicationCertificate(options.ApplicationUri, options.ApplicationName, hosts, time, Lifetime)
            : ApplicationCertificates.Create(options.ApplicationUri, options.ApplicationName, hosts, time, Lifetime);
    }
}
