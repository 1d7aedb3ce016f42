using System.Globalization;

namespace ThermalPlant.OpcUa.Server.Users;

/// <summary>
/// The users section of a server's configuration, in a shape that binds from appsettings and environment variables
/// (<c>...__Users__Accounts__scraper__PasswordHash</c>): accounts by name, roles as permission lists, the user token
/// policy by its short name. <see cref="ToOptions"/> turns it into <see cref="UserAuthenticationOptions"/>.
/// </summary>
public sealed class UserSettings
{
    /// <summary>Whether access control is on; off, every session is anonymous and may do everything (development only).</summary>
    public bool Enabled { get; set; }

    /// <summary>Whether anonymous sessions are accepted (with <see cref="AnonymousRole"/>).</summary>
    public bool AllowAnonymous { get; set; } = true;

    /// <summary>The role of anonymous sessions; the built-in Anonymous role browses and reads only.</summary>
    public string AnonymousRole { get; set; } = UserAuthenticationOptions.AnonymousRoleName;

    /// <summary>The policy passwords are encrypted with: Basic256Sha256, Aes128_Sha256_RsaOaep or Aes256_Sha256_RsaPss.</summary>
    public string UserTokenPolicy { get; set; } = "Basic256Sha256";

    /// <summary>Roles added to (or replacing) the built-in ones: name to a comma list of Read, HistoryRead, Subscribe, Write (or All, None).</summary>
    public Dictionary<string, string> Roles { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How many password checks run at once; null for the default (<see cref="UserAuthenticationOptions.MaxConcurrentPasswordChecks"/>).</summary>
    public int? MaxConcurrentPasswordChecks { get; set; }

    /// <summary>Wrong passwords within <see cref="LockoutWindow"/> that lock a user name; 0 turns the lockout off.</summary>
    public int LockoutThreshold { get; set; } = 5;

    /// <summary>The window of <see cref="LockoutThreshold"/>.</summary>
    public TimeSpan LockoutWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a locked user name is refused.</summary>
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The accounts, by user name.</summary>
    public Dictionary<string, AccountSettings> Accounts { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Problems with the settings, each starting with its key under <paramref name="prefix"/>.</summary>
    public void Validate(string prefix, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (!Enabled) return;
        var roleErrors = 0;
        foreach (var (role, permissions) in Roles)
        {
            if (!Enum.TryParse<UserPermissions>(permissions, ignoreCase: true, out _) || int.TryParse(permissions, CultureInfo.InvariantCulture, out _))
            {
                errors.Add($"{prefix}:Roles:{role} must be a comma list of Read, HistoryRead, Subscribe, Write, found '{permissions}'");
                roleErrors++;
            }
        }
        // The roles must parse before the accounts can be checked against them.
        if (roleErrors > 0) return;
        foreach (var error in ToOptions()!.Validate()) errors.Add($"{prefix}: {error}");
    }

    /// <summary>The options for <see cref="OpcUaServerOptions.Users"/>; null when access control is off.</summary>
    public UserAuthenticationOptions? ToOptions()
    {
        if (!Enabled) return null;
        var roles = new Dictionary<string, UserPermissions>(UserAuthenticationOptions.DefaultRoles, StringComparer.OrdinalIgnoreCase);
        foreach (var (role, permissions) in Roles)
        {
            roles[role] = Enum.Parse<UserPermissions>(permissions, ignoreCase: true);
        }
        var accounts = new List<UserAccount>(Accounts.Count);
        foreach (var (name, account) in Accounts)
        {
            accounts.Add(new UserAccount
            {
                Name = name,
                Role = account.Role,
                PasswordHash = string.IsNullOrEmpty(account.PasswordHash) ? null : account.PasswordHash,
                CertificateThumbprint = string.IsNullOrEmpty(account.CertificateThumbprint) ? null : account.CertificateThumbprint,
            });
        }
        var defaults = new UserAuthenticationOptions();
        return new UserAuthenticationOptions
        {
            MaxConcurrentPasswordChecks = MaxConcurrentPasswordChecks ?? defaults.MaxConcurrentPasswordChecks,
            LockoutThreshold = LockoutThreshold,
            LockoutWindow = LockoutWindow,
            LockoutDuration = LockoutDuration,
            AllowAnonymous = AllowAnonymous,
            AnonymousRole = AnonymousRole,
            Roles = roles,
            Users = accounts,
            UserTokenSecurityPolicyUri = UserTokenPolicy.Contains('#', StringComparison.Ordinal) ? UserTokenPolicy : $"http://opcfoundation.org/UA/SecurityPolicy#{UserTokenPolicy}",
        };
    }
}
