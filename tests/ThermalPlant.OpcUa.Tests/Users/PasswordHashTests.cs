using ThermalPlant.OpcUa.Security;

namespace ThermalPlant.OpcUa.Tests.Users;

/// <summary>PBKDF2 password hashes as kept in configuration.</summary>
public sealed class PasswordHashTests
{
    [Fact]
    public void A_hash_names_its_algorithm_and_iterations_and_verifies_only_its_password()
    {
        var hash = PasswordHash.Create("s3cret Pässword", PasswordHash.MinIterations);

        Assert.DoesNotContain('$', hash);
        Assert.StartsWith("pbkdf2-sha256:10000:", hash, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", hash, StringComparison.Ordinal);
        Assert.True(PasswordHash.IsValid(hash));
        Assert.True(PasswordHash.Verify(System.Text.Encoding.UTF8.GetBytes("s3cret Pässword"), hash));
        Assert.False(PasswordHash.Verify(System.Text.Encoding.UTF8.GetBytes("s3cret Password"), hash));
        Assert.False(PasswordHash.Verify([], hash));
    }

    [Fact]
    public void Each_hash_has_its_own_salt()
    {
        Assert.NotEqual(PasswordHash.Create("same", PasswordHash.MinIterations), PasswordHash.Create("same", PasswordHash.MinIterations));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("plaintext")]
    [InlineData("pbkdf2-sha256:10000:c2FsdHNhbHQ=")]
    [InlineData("pbkdf2-sha256:10:c2FsdHNhbHQ=:AAAAAAAAAAAAAAAAAAAAAA==")]
    [InlineData("pbkdf2-sha256:999999999:c2FsdHNhbHQ=:AAAAAAAAAAAAAAAAAAAAAA==")]
    [InlineData("pbkdf2-sha256:10000:not base64!:AAAAAAAAAAAAAAAAAAAAAA==")]
    [InlineData("pbkdf2-sha256:10000:c2FsdHNhbHQ=:AAAA")]
    [InlineData("pbkdf2-sha1:10000:c2FsdHNhbHQ=:AAAAAAAAAAAAAAAAAAAAAA==")]
    [InlineData("$pbkdf2-sha256$i=10000$c2FsdHNhbHQ=$AAAAAAAAAAAAAAAAAAAAAA==")]
    public void A_malformed_hash_is_invalid_and_matches_nothing(string? hash)
    {
        Assert.False(PasswordHash.IsValid(hash));
        Assert.False(PasswordHash.Verify("plaintext"u8, hash));
    }
}
