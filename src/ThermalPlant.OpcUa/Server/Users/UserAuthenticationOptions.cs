using ThermalPlant.OpcUa.Security;

namespace ThermalPlant.OpcUa.Server.Users;

/// <summary>
/// Who may open sessions and what each role may do. Anonymous sessions (when allowed) get <see cref="AnonymousRole"/>;
/// users log in with a name and password or an X.509 user certificate and get their account's role.
/// </summary>
public sealed record UserAuthenticationOptions
{
    /// <summary>The role of anonymous sessions by default: browse and read only.</summary>
    public const string AnonymousRoleName = "Anonymous";

    /// <summary>Whether anonymous sessions are accepted; when not, an anonymous token is BadIdentityTokenRejected.</summary>
    public bool AllowAnonymous { get; init; } = true;

    /// <summary>The role anonymous sessions get.</summary>
    public string AnonymousRole { get; init; } = AnonymousRoleName;

    /// <summary>Roles by name (compared case-insensitively) and what each may do.</summary>
    public IReadOnlyDictionary<string, UserPermissions> Roles { get; init; } = DefaultRoles;

    /// <summary>The users.</summary>
    public IReadOnlyList<UserAccount> Users { get; init; } = [];

    /// <summary>
    /// The security policy with which clients encrypt passwords and sign with user certificates, whatever the
    /// channel's, so a password never crosses the network in clear, not even on a channel with SecurityPolicy None.
    /// </summary>
    public string UserTokenSecurityPolicyUri { get; init; } = SecurityPolicyUris.Basic256Sha256;

    /// <summary>
    /// How many password checks (PBKDF2, about 0.3 s of CPU each) run at once; by default half the cores, so a burst
    /// of password logins leaves the other half to the sessions being served.
    /// </summary>
    public int MaxConcurrentPasswordChecks { get; init; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>How many password logins wait for a check beyond those running; the next is refused with BadServerTooBusy.</summary>
    public int MaxQueuedPasswordChecks { get; init; } = 16;

    /// <summary>Wrong passwords for one user name within <see cref="LockoutWindow"/> that lock it; 0 turns the lockout off.</summary>
    public int LockoutThreshold { get; init; } = 5;

    /// <summary>The window in which <see cref="LockoutThreshold"/> wrong passwords lock a user name.</summary>
    public TimeSpan LockoutWindow { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a locked user name is refused, without checking its password.</summary>
    public TimeSpan LockoutDuration { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Anonymous (browse, read), Observer (+ history, subscriptions), Operator (+ write), Engineer (all).</summary>
    public static IReadOnlyDictionary<string, UserPermissions> DefaultRoles { get; } = new Dictionary<string, UserPermissions>(StringComparer.OrdinalIgnoreCase)
    {
        [AnonymousRoleName] = UserPermissions.Read,
        ["Observer"] = UserPermissions.Read | UserPermissions.HistoryRead | UserPermissions.Subscribe,
        ["Operator"] = UserPermissions.Read | UserPermissions.HistoryRead | UserPermissions.Subscribe | UserPermissions.Write,
        ["Engineer"] = UserPermissions.All,
    };

    /// <summary>
    /// Problems that make these options unusable (unknown roles, duplicate or malformed users, an unsupported
    /// policy); empty when they are fine. Hosts call it at start so a mistake fails early.
    /// </summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!SecurityPolicies.CanProtectUserTokens(UserTokenSecurityPolicyUri)) errors.Add($"UserTokenSecurityPolicyUri '{UserTokenSecurityPolicyUri}' is not one of Basic256Sha256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss");
        if (AllowAnonymous && !Roles.ContainsKey(AnonymousRole)) errors.Add($"the anonymous role '{AnonymousRole}' is not among the roles");
        if (MaxConcurrentPasswordChecks < 1) errors.Add("MaxConcurrentPasswordChecks must be at least 1");
        if (MaxQueuedPasswordChecks < 0) errors.Add("MaxQueuedPasswordChecks must not be negative");
        if (LockoutThreshold < 0) errors.Add("LockoutThreshold must not be negative");
        if (LockoutThreshold > 0 && (LockoutWindow <= TimeSpan.Zero || LockoutDuration <= TimeSpan.Zero)) errors.Add("LockoutWindow and LockoutDuration must be positive when LockoutThreshold is set");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var user in Users)
        {
            if (string.IsNullOrEmpty(user.Name)) errors.Add("a user has no name");
            else if (!names.Add(user.Name)) errors.Add($"user '{user.Name}' is configured twice");
            if (!Roles.ContainsKey(user.Role ?? string.Empty)) errors.Add($"user '{user.Name}' has the unknown role '{user.Role}'");
            if (user.PasswordHash is null && user.CertificateThumbprint is null) errors.Add($"user '{user.Name}' has neither a password hash nor a certificate thumbprint");
            if (user.PasswordHash is not null && !PasswordHash.IsValid(user.PasswordHash)) errors.Add($"user '{user.Name}' has a malformed password hash (make one with 'thermalplant opcua hash-password')");
            if (user.CertificateThumbprint is { } thumbprint && (thumbprint.Length != 64 || !thumbprint.All(Uri.IsHexDigit))) errors.Add($"user '{user.Name}' has a certificate thumbprint that is not 64 hex digits (SHA-256)");
        }
        return errors;
    }
}
