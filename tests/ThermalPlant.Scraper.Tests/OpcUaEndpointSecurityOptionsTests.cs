using ThermalPlant.OpcUa.Generated;
using ThermalPlant.Scraper.Sources.OpcUa;

namespace ThermalPlant.Scraper.Tests;

/// <summary>The security keys of an OPC UA endpoint the scraper collects, checked at start.</summary>
public sealed class OpcUaEndpointSecurityOptionsTests
{
    [Fact]
    public void A_secured_endpoint_needs_a_known_policy_a_matching_mode_and_a_store()
    {
        Assert.Empty(Errors(new OpcUaEndpointOptions { Url = "opc.tcp://opcserver:4840/", SecurityPolicy = "Basic256Sha256", SecurityMode = MessageSecurityMode.SignAndEncrypt, CertificateStorePath = "pki" }));
        Assert.Empty(Errors(new OpcUaEndpointOptions { Url = "opc.tcp://opcserver:4840/" }));
        Assert.Contains(Errors(new OpcUaEndpointOptions { Url = "opc.tcp://opcserver:4840/", SecurityPolicy = "Basic128Rsa15" }), e => e.StartsWith("E:SecurityPolicy", StringComparison.Ordinal));
        Assert.Contains(Errors(new OpcUaEndpointOptions { Url = "opc.tcp://opcserver:4840/", SecurityPolicy = "Aes256_Sha256_RsaPss", SecurityMode = MessageSecurityMode.None, CertificateStorePath = "pki" }), e => e.StartsWith("E:SecurityMode", StringComparison.Ordinal));
        Assert.Contains(Errors(new OpcUaEndpointOptions { Url = "opc.tcp://opcserver:4840/", SecurityPolicy = "Basic256Sha256", SecurityMode = MessageSecurityMode.Sign }), e => e.StartsWith("E:CertificateStorePath", StringComparison.Ordinal));
    }

    private static List<string> Errors(OpcUaEndpointOptions options)
    {
        var errors = new List<string>();
        options.Validate("E", errors);
        return errors;
    }
}
