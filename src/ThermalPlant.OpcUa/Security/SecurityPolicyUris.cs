namespace ThermalPlant.OpcUa.Security;

/// <summary>The security policy URIs of Part 7.</summary>
public static class SecurityPolicyUris
{
    /// <summary>No signing, no encryption.</summary>
    public const string None = "http://opcfoundation.org/UA/SecurityPolicy#None";

    /// <summary>RSA-OAEP (SHA-1), AES-256-CBC, SHA-256.</summary>
    public const string Basic256Sha256 = "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256";

    /// <summary>RSA-OAEP (SHA-1), AES-128-CBC, SHA-256.</summary>
    public const string Aes128_Sha256_RsaOaep = "http://opcfoundation.org/UA/SecurityPolicy#Aes128_Sha256_RsaOaep";

    /// <summary>RSA-OAEP (SHA-256), RSA-PSS signatures, AES-256-CBC, SHA-256.</summary>
    public const string Aes256_Sha256_RsaPss = "http://opcfoundation.org/UA/SecurityPolicy#Aes256_Sha256_RsaPss";
}
