namespace ThermalPlant.OpcUa.Security;

/// <summary>The security policy URIs of Part 7.</summary>
public static class SecurityPolicyUris
{
    /// <summary>No signing, no encryption.</summary>
    public const string None = "http://opcfoundation.org/UA/SecurityPolicy#None";

    /// <summary>RSA-OAEP (SHA-1), RSA PKCS#1 v1.5 SHA-256 signatures, AES-256-CBC, HMAC-SHA256.</summary>
    public const string Basic256Sha256 = "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256";

    /// <summary>RSA-OAEP (SHA-1), RSA PKCS#1 v1.5 SHA-256 signatures, AES-128-CBC, HMAC-SHA256.</summary>
    public const string Aes128Sha256RsaOaep = "http://opcfoundation.org/UA/SecurityPolicy#Aes128_Sha256_RsaOaep";

    /// <summary>RSA-OAEP (SHA-256), RSA-PSS SHA-256 signatures, AES-256-CBC, HMAC-SHA256.</summary>
    public const string Aes256Sha256RsaPss = "http://opcfoundation.org/UA/SecurityPolicy#Aes256_Sha256_RsaPss";
}
