namespace ThermalPlant.OpcUa.Server.Users;

/// <summary>
/// A user the server knows: logs in with a password whose hash is <see cref="PasswordHash"/> (see
/// <see cref="Security.PasswordHash"/>), with an X.509 user certificate whose SHA-256 thumbprint is
/// <see cref="CertificateThumbprint"/>, or both.
/// </summary>
public sealed record UserAccount
{
    /// <summary>The user name, compared exactly.</summary>
    public required string Name { get; init; }

    /// <summary>The role, one of <see cref="UserAuthenticationOptions.Roles"/>.</summary>
    public required string Role { get; init; }

    /// <summary>The PBKDF2 hash of the password; null when the user logs in with a certificate only.</summary>
    public string? PasswordHash { get; init; }

    /// <summary>The hex SHA-256 thumbprint of the user's certificate; null when the user logs in with a password only.</summary>
    public string? CertificateThumbprint { get; init; }
}
