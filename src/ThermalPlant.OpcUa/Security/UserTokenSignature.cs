using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Generated;

namespace ThermalPlant.OpcUa.Security;

/// <summary>
/// The userTokenSignature of an X.509 identity (Part 4, 5.6.3.2): the owner of the user certificate signs the
/// server's certificate followed by the server's last nonce, proving possession of the private key for this
/// activation only.
/// </summary>
public static class UserTokenSignature
{
    /// <summary>Signs <paramref name="serverCertificate"/> + <paramref name="serverNonce"/> with the user certificate's private key.</summary>
    public static SignatureData Sign(ReadOnlySpan<byte> serverCertificate, ReadOnlySpan<byte> serverNonce, X509Certificate2 userCertificate, SecurityPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(userCertificate);
        ArgumentNullException.ThrowIfNull(policy);
        using var rsa = userCertificate.GetRSAPrivateKey() ?? throw new ArgumentException("the user certificate has no RSA private key", nameof(userCertificate));
        var data = Concatenate(serverCertificate, serverNonce);
        if (policy.IsNone) throw new ArgumentException("a user token cannot be signed under security policy None", nameof(policy));
        return new SignatureData { Algorithm = policy.AsymmetricSignatureAlgorithm, Signature = policy.Sign(rsa, data) };
    }

    /// <summary>Whether <paramref name="signature"/> is the user certificate's signature of the server's certificate and nonce.</summary>
    public static bool Verify(SignatureData? signature, ReadOnlySpan<byte> serverCertificate, ReadOnlySpan<byte> serverNonce, X509Certificate2 userCertificate, SecurityPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(userCertificate);
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.IsNone || signature?.Signature is not { Length: > 0 } bytes || signature.Algorithm != policy.AsymmetricSignatureAlgorithm) return false;
        using var rsa = userCertificate.GetRSAPublicKey();
        if (rsa is null || bytes.Length != rsa.KeySize / 8) return false;
        return policy.Verify(rsa, Concatenate(serverCertificate, serverNonce), bytes);
    }

    private static byte[] Concatenate(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        var data = new byte[first.Length + second.Length];
        first.CopyTo(data);
        second.CopyTo(data.AsSpan(first.Length));
        return data;
    }
}
