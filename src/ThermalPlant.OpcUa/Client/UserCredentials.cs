using System.Security.Cryptography.X509Certificates;

namespace ThermalPlant.OpcUa.Client;

/// <summary>
/// Who a client's session acts for: anonymous, a user name with its password (sent encrypted with the server
/// certificate's key, as the server's user token policy requires), or an X.509 user certificate with its private key.
/// </summary>
public sealed record UserCredentials
{
    private UserCredentials(string? userName, string? password, X509Certificate2? certificate)
    {
        UserName = userName;
        Password = password;
        Certificate = certificate;
    }

    /// <summary>No user: an anonymous session.</summary>
    public static UserCredentials Anonymous { get; } = new(null, null, null);

    /// <summary>The user name; null for anonymous and certificate logins.</summary>
    public string? UserName { get; }

    /// <summary>The password of <see cref="UserName"/>.</summary>
    public string? Password { get; }

    /// <summary>The user certificate with its private key; null unless logging in with a certificate.</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>Logs in as <paramref name="userName"/> with <paramref name="password"/>.</summary>
    public static UserCredentials FromUserName(string userName, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(userName);
        ArgumentNullException.ThrowIfNull(password);
        return new UserCredentials(userName, password, null);
    }

    /// <summary>Logs in with the user certificate <paramref name="certificate"/>, which must carry its private key.</summary>
    public static UserCredentials FromCertificate(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!certificate.HasPrivateKey) throw new ArgumentException("the user certificate needs its private key to sign", nameof(certificate));
        return new UserCredentials(null, null, certificate);
    }

    /// <summary>The user name, or a description, for logs; never the password.</summary>
    public override string ToString() => Certificate is not null ? $"certificate {Certificate.Subject}" : UserName ?? "anonymous";
}
