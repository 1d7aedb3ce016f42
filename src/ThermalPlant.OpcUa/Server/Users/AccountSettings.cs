namespace ThermalPlant.OpcUa.Server.Users;

/// <summary>One account of <see cref="UserSettings.Accounts"/>.</summary>
public sealed class AccountSettings
{
    /// <summary>The role.</summary>
    public string Role { get; set; } = "";

    /// <summary>The PBKDF2 hash of the password (<c>thermalplant opcua hash-password</c>); empty for certificate-only users.</summary>
    public string? PasswordHash { get; set; }

    /// <summary>The SHA-256 thumbprint (hex) of the user's X.509 certificate; empty for password-only users.</summary>
    public string? CertificateThumbprint { get; set; }
}
