using System.Security.Cryptography;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Testing;

namespace ThermalPlant.OpcUa.Tests.Users;

/// <summary>The encrypted token secret (length, secret, server nonce) under each policy's RSA padding.</summary>
public sealed class LegacySecretTests
{
    private static readonly System.Security.Cryptography.X509Certificates.X509Certificate2 Server = TestCertificates.Create("server");

    [Theory]
    [InlineData(SecurityPolicyUris.Basic256Sha256, 1)]
    [InlineData(SecurityPolicyUris.Aes128Sha256RsaOaep, 1)]
    [InlineData(SecurityPolicyUris.Aes256Sha256RsaPss, 1)]
    [InlineData(SecurityPolicyUris.Basic256Sha256, 400)]
    [InlineData(SecurityPolicyUris.Aes256Sha256RsaPss, 400)]
    public void A_secret_decrypts_with_the_nonce_it_was_encrypted_with(string policy, int length)
    {
        var algorithms = SecurityPolicies.ForUserTokens(policy);
        var secret = RandomNumberGenerator.GetBytes(length);
        var nonce = RandomNumberGenerator.GetBytes(32);

        var encrypted = LegacySecret.Encrypt(secret, nonce, Server, algorithms);

        // 400 bytes + 36 do not fit one 256-byte RSA block: the secret spans blocks.
        Assert.Equal(0, encrypted.Length % 256);
        Assert.Equal(length > 150 ? 3 : 1, encrypted.Length / 256);
        Assert.Equal(secret, LegacySecret.Decrypt(encrypted, nonce, Server, algorithms));
    }

    [Fact]
    public void Another_nonce_is_rejected()
    {
        var algorithms = SecurityPolicies.ForUserTokens(SecurityPolicyUris.Basic256Sha256);
        var encrypted = LegacySecret.Encrypt("password"u8, RandomNumberGenerator.GetBytes(32), Server, algorithms);

        var error = Assert.Throws<OpcUaException>(() => LegacySecret.Decrypt(encrypted, RandomNumberGenerator.GetBytes(32), Server, algorithms));
        Assert.Equal(StatusCodes.BadIdentityTokenRejected, error.Status.Code);
    }

    [Fact]
    public void A_secret_encrypted_with_another_padding_or_key_or_cut_short_is_invalid()
    {
        var nonce = RandomNumberGenerator.GetBytes(32);
        var sha1 = SecurityPolicies.ForUserTokens(SecurityPolicyUris.Basic256Sha256);
        var sha256 = SecurityPolicies.ForUserTokens(SecurityPolicyUris.Aes256Sha256RsaPss);
        var encrypted = LegacySecret.Encrypt("password"u8, nonce, Server, sha1);

        Assert.Equal(StatusCodes.BadIdentityTokenInvalid, Assert.Throws<OpcUaException>(() => LegacySecret.Decrypt(encrypted, nonce, Server, sha256)).Status.Code);
        Assert.Equal(StatusCodes.BadIdentityTokenInvalid, Assert.Throws<OpcUaException>(() => LegacySecret.Decrypt(encrypted.AsSpan(0, 255), nonce, Server, sha1)).Status.Code);
        Assert.Equal(StatusCodes.BadIdentityTokenInvalid, Assert.Throws<OpcUaException>(() => LegacySecret.Decrypt([], nonce, Server, sha1)).Status.Code);
        Assert.Equal(StatusCodes.BadIdentityTokenInvalid, Assert.Throws<OpcUaException>(() => LegacySecret.Decrypt(new byte[256 * 40], nonce, Server, sha1)).Status.Code);
        using var other = TestCertificates.Create("other");
        Assert.Equal(StatusCodes.BadIdentityTokenInvalid, Assert.Throws<OpcUaException>(() => LegacySecret.Decrypt(encrypted, nonce, other, sha1)).Status.Code);
    }

    [Fact]
    public void The_none_policy_protects_no_user_token()
    {
        Assert.Equal(StatusCodes.BadSecurityPolicyRejected, Assert.Throws<OpcUaException>(() => SecurityPolicies.ForUserTokens(SecurityPolicyUris.None)).Status.Code);
    }
}
