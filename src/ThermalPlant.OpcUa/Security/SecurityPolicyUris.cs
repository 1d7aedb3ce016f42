namespace ThermalPlant.OpcUa.Security;

/// <summary>The security policy URIs of Part 7.</summary>
public static class SecurityPolicyUris
{
    /// <summary>No signing, no encryption.</summary>
    public const string None = "http://opcfoundation.org/UA/SecurityPolicy#None";

    /// <summary>RSA-OAEP, AES-256-CBC, SHA-256 (a later issue).</summary>
    public const string Basic256Sha256 = "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256";
}
