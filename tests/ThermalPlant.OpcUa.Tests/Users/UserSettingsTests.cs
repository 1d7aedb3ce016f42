using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.Testing;

namespace ThermalPlant.OpcUa.Tests.Users;

/// <summary>The users section as hosts bind it, and the application certificate from PEM files.</summary>
public sealed class UserSettingsTests
{
    private static readonly string Hash = PasswordHash.Create("pw", PasswordHash.MinIterations);

    [Fact]
    public void Disabled_settings_turn_access_control_off()
    {
        var settings = new UserSettings { Accounts = { ["x"] = new AccountSettings { Role = "Nobody" } } };
        var errors = new List<string>();
        settings.Validate("OpcServer:Users", errors);

        Assert.Empty(errors);
        Assert.Null(settings.ToOptions());
    }

    [Fact]
    public void Accounts_and_extra_roles_become_options_with_the_built_in_roles_kept()
    {
        var settings = new UserSettings
        {
            Enabled = true,
            AllowAnonymous = false,
            UserTokenPolicy = "Aes256_Sha256_RsaPss",
            Roles = { ["Maintenance"] = "Read, HistoryRead" },
            Accounts = { ["scraper"] = new AccountSettings { Role = "observer", PasswordHash = Hash }, ["tech"] = new AccountSettings { Role = "Maintenance", PasswordHash = Hash, CertificateThumbprint = "" } },
        };
        var errors = new List<string>();
        settings.Validate("OpcServer:Users", errors);
        var options = settings.ToOptions()!;

        Assert.Empty(errors);
        Assert.False(options.AllowAnonymous);
        Assert.Equal(SecurityPolicyUris.Aes256Sha256RsaPss, options.UserTokenSecurityPolicyUri);
        Assert.Equal(UserPermissions.Read | UserPermissions.HistoryRead, options.Roles["maintenance"]);
        Assert.Equal(UserPermissions.Read, options.Roles["Anonymous"]);
        Assert.Equal(["scraper", "tech"], options.Users.Select(u => u.Name).Order(StringComparer.Ordinal));
        Assert.Null(options.Users.Single(u => u.Name == "tech").CertificateThumbprint);
    }

    [Fact]
    public void Password_check_and_lockout_settings_become_options_and_bad_ones_are_reported()
    {
        var settings = new UserSettings { Enabled = true, MaxConcurrentPasswordChecks = 3, LockoutThreshold = 4, LockoutWindow = TimeSpan.FromMinutes(2), LockoutDuration = TimeSpan.FromMinutes(10) };
        var options = settings.ToOptions()!;

        Assert.Equal((3, 4, TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10)), (options.MaxConcurrentPasswordChecks, options.LockoutThreshold, options.LockoutWindow, options.LockoutDuration));
        Assert.Equal(new UserAuthenticationOptions().MaxConcurrentPasswordChecks, new UserSettings { Enabled = true }.ToOptions()!.MaxConcurrentPasswordChecks);

        var errors = new List<string>();
        new UserSettings { Enabled = true, MaxConcurrentPasswordChecks = 0, LockoutDuration = TimeSpan.Zero }.Validate("OpcServer:Users", errors);
        Assert.Equal(["OpcServer:Users: MaxConcurrentPasswordChecks must be at least 1", "OpcServer:Users: LockoutWindow and LockoutDuration must be positive when LockoutThreshold is set"], errors);
    }

    [Fact]
    public void Bad_permissions_unknown_roles_malformed_hashes_and_unknown_policies_are_reported_with_their_keys()
    {
        var settings = new UserSettings
        {
            Enabled = true,
            UserTokenPolicy = "Basic128Rsa15",
            Roles = { ["Odd"] = "Read, Fly" },
        };
        var errors = new List<string>();
        settings.Validate("OpcServer:Users", errors);
        Assert.Equal(["OpcServer:Users:Roles:Odd must be a comma list of Read, HistoryRead, Subscribe, Write, found 'Read, Fly'"], errors);

        settings.Roles.Clear();
        errors.Clear();
        settings.Accounts["a"] = new AccountSettings { Role = "Admin", PasswordHash = Hash };
        settings.Accounts["b"] = new AccountSettings { Role = "Operator", PasswordHash = "secret" };
        settings.Accounts["c"] = new AccountSettings { Role = "Operator" };
        settings.Validate("OpcServer:Users", errors);
        Assert.Contains(errors, e => e.Contains("Basic128Rsa15", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("user 'a' has the unknown role 'Admin'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("user 'b' has a malformed password hash", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("user 'c' has neither a password hash nor a certificate thumbprint", StringComparison.Ordinal));
    }

    [Fact]
    public void The_application_certificate_loads_from_PEM_files_or_is_made_self_signed_for_the_application_uri()
    {
        using var original = TestCertificates.Create("plant");
        var directory = Directory.CreateTempSubdirectory("thermalplant-pem-").FullName;
        try
        {
            var (certificate, key) = TestCertificates.WritePem(original, directory, "plant");
            using var loaded = PemCertificate.LoadOrCreate(certificate, key, "ignored", "urn:ignored", "localhost");
            Assert.Equal(original.Thumbprint, loaded.Thumbprint);
            Assert.True(loaded.HasPrivateKey);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        using var made = PemCertificate.LoadOrCreate(null, null, "Thermal Plant OPC UA Server", "urn:thermalplant:opcserver", "127.0.0.1");
        Assert.True(made.HasPrivateKey);
        Assert.Equal(2048, made.GetRSAPublicKey()!.KeySize);
        Assert.Equal("sha256RSA", made.SignatureAlgorithm.FriendlyName);
        var names = made.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains("127.0.0.1", names.EnumerateIPAddresses().Select(a => a.ToString()));
        Assert.Contains("URI:urn:thermalplant:opcserver", names.Format(false).Replace("URL=", "URI:", StringComparison.Ordinal), StringComparison.Ordinal);
        using var rsa = made.GetRSAPrivateKey()!;
        byte[] data = [1, 2, 3];
        Assert.True(rsa.VerifyData(data, rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }
}
