using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;

namespace ThermalPlant.OpcUa.Tests.Client;

/// <summary>The one check and mapping of a client's security settings that the scraper, control links and CLI share.</summary>
public sealed class ClientSecuritySettingsTests
{
    [Theory]
    [InlineData("None", SecurityPolicyUris.None)]
    [InlineData("Basic256Sha256", SecurityPolicyUris.Basic256Sha256)]
    [InlineData("Aes128_Sha256_RsaOaep", SecurityPolicyUris.Aes128Sha256RsaOaep)]
    [InlineData(SecurityPolicyUris.Aes256Sha256RsaPss, SecurityPolicyUris.Aes256Sha256RsaPss)]
    public void A_policy_is_found_by_its_short_name_or_its_uri(string name, string uri)
    {
        Assert.True(SecurityPolicies.TryFromName(name, out var policy));
        Assert.Equal(uri, policy.Uri);
        Assert.Same(policy, SecurityPolicies.FromName(name));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Basic128Rsa15")]
    [InlineData("basic256sha256")]
    public void A_policy_this_stack_does_not_implement_is_not_found(string? name) =>
        Assert.False(SecurityPolicies.TryFromName(name, out _));

    [Fact]
    public void Valid_settings_become_the_client_options_of_the_endpoint_store_and_user()
    {
        var settings = new ClientSecuritySettings("Aes256_Sha256_RsaPss", MessageSecurityMode.Sign, "pki", "bridge", "secret");
        var errors = new List<string>();

        settings.Validate("E", errors);
        var options = settings.ApplyTo(new OpcUaClientOptions { ApplicationName = "kept" });

        Assert.Empty(errors);
        Assert.Equal(SecurityPolicyUris.Aes256Sha256RsaPss, options.SecurityPolicyUri);
        Assert.Equal(MessageSecurityMode.Sign, options.SecurityMode);
        Assert.Equal("pki", options.CertificateStorePath);
        Assert.Equal("bridge", options.Credentials.UserName);
        Assert.Equal("kept", options.ApplicationName);
        Assert.DoesNotContain("secret", settings.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void None_needs_no_store_and_logs_in_anonymously()
    {
        var options = new ClientSecuritySettings("None", MessageSecurityMode.None, " ").ApplyTo(new OpcUaClientOptions());

        Assert.Null(options.CertificateStorePath);
        Assert.Same(UserCredentials.Anonymous, options.Credentials);
    }

    [Theory]
    [InlineData("Basic128Rsa15", MessageSecurityMode.Sign, "pki", null, null, "E:SecurityPolicy must be one of None, Aes128_Sha256_RsaOaep, Basic256Sha256, Aes256_Sha256_RsaPss, found 'Basic128Rsa15'")]
    [InlineData("None", MessageSecurityMode.SignAndEncrypt, "", null, null, "E:SecurityMode SignAndEncrypt does not go with SecurityPolicy None")]
    [InlineData("Basic256Sha256", MessageSecurityMode.None, "pki", null, null, "E:SecurityMode None does not go with SecurityPolicy Basic256Sha256")]
    [InlineData("Basic256Sha256", MessageSecurityMode.SignAndEncrypt, "", null, null, "E:CertificateStorePath must be set for SecurityPolicy Basic256Sha256")]
    [InlineData("None", MessageSecurityMode.None, "", "bridge", null, "E:UserName and E:Password go together")]
    [InlineData("None", MessageSecurityMode.None, "", null, "secret", "E:UserName and E:Password go together")]
    public void Each_mistake_is_named_by_its_key(string policy, MessageSecurityMode mode, string store, string? user, string? password, string message)
    {
        var errors = new List<string>();

        new ClientSecuritySettings(policy, mode, store, user, password).Validate("E", errors);

        Assert.Contains(errors, e => e.StartsWith(message, StringComparison.Ordinal));
    }
}
