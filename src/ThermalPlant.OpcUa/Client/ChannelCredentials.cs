using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;

namespace ThermalPlant.OpcUa.Client;

/// <summary>What a client channel is secured with: the endpoint's policy and mode, our certificate and the server's.</summary>
/// <param name="Policy">The policy of the endpoint selected.</param>
/// <param name="Mode">Sign or SignAndEncrypt.</param>
/// <param name="ClientCertificate">Our application instance certificate, with its private key.</param>
/// <param name="ServerCertificate">The server's certificate from its endpoint description, already validated.</param>
internal sealed record ChannelCredentials(SecurityPolicy Policy, MessageSecurityMode Mode, X509Certificate2 ClientCertificate, X509Certificate2 ServerCertificate);
