using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;

namespace ThermalPlant.OpcServer.Tests;

/// <summary>The service's security settings: which endpoints they offer and which settings are refused at start.</summary>
public sealed class OpcServerSecurityOptionsTests
{
    [Fact]
    public void Production_settings_offer_only_signed_and_encrypted_endpoints()
    {
        var options = new OpcServerOptions { AllowSecurityNone = false, SecurityPolicies = ["Basic256Sha256", "Aes256_Sha256_RsaPss"], SecurityModes = [MessageSecurityMode.SignAndEncrypt] };
        Assert.Equal(
            [new EndpointSecurity(SecurityPolicyUris.Basic256Sha256, MessageSecurityMode.SignAndEncrypt), new EndpointSecurity(SecurityPolicyUris.Aes256Sha256RsaPss, MessageSecurityMode.SignAndEncrypt)],
            options.Endpoints());
        Assert.Empty(Errors(options));
    }

    [Fact]
    public void Policies_without_modes_are_offered_in_both_and_none_only_when_allowed()
    {
        var endpoints = new OpcServerOptions { SecurityPolicies = ["Aes128_Sha256_RsaOaep"] }.Endpoints();
        Assert.Equal([MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt], endpoints.Select(e => e.Mode));
    }

    [Fact]
    public void Unknown_policies_modes_and_a_server_with_no_endpoint_are_refused_with_the_key_named()
    {
        var errors = Errors(new OpcServerOptions { AllowSecurityNone = false, SecurityPolicies = ["Basic128Rsa15"], SecurityModes = [MessageSecurityMode.None] });
        Assert.Contains(errors, e => e.StartsWith("OpcServer:SecurityPolicies has 'Basic128Rsa15'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("OpcServer:SecurityModes", StringComparison.Ordinal));
        Assert.Contains("OpcServer:SecurityPolicies must name a policy when AllowSecurityNone is false", Errors(new OpcServerOptions { AllowSecurityNone = false }));
    }

    private static List<string> Errors(OpcServerOptions options)
    {
        var errors = new List<string>();
        options.Validate(OpcServerOptions.Section, errors);
        return errors;
    }
}
