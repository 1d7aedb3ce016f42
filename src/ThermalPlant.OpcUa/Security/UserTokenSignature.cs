using System.Security.Cryptography;
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
    public static SignatureData Sign(ReadOnlySpan<byte> serverCertificate, ReadOnlySpan<byte> serverNonce, X509Certificate2 userCertificate, UserTokenAlgorithms algorithms)
    {
        ArgumentNullException.ThrowIfNull(userCertificate);
        ArgumentNullException.ThrowIfNull(algorithms);
        using var rsa = userCertificate.GetRSAPrivateKey() ?? throw new ArgumentException("the user certificate has no RSA private key", nameof(userCertificate));
        var data = Concatenate(serverCertificate, serverNonce);
        return new SignatureData { Algorithm = algorithms.SignatureAlgorithmUri, Signature = rsa.SignData(data, HashAlgorithmName.SHA256, algorithms.Signature) };
    }

    /// <summary>Whether <paramref name="signature"/> is the user certificate's signature of the server's certificate and nonce.</summary>
    public static bool Verify(SignatureData? signature, ReadOnlySpan<byte> serverCertificate, ReadOnlySpan<byte> serverNonce, X509Certificate2 userCertificate, UserTokenAlgorithms algorithms)
    {
        ArgumentNullException.ThrowIfNull(userCertificate);
        ArgumentNullException.ThrowIfNull(algorithms);
        if (signature?.Signature is not { Length: > 0 } bytes || signature.Algorithm != algorithms.SignatureAlgorithmUri) return false;
        using var rsa = userCertificate.GetRSAPublicKey();
        if (rsa is null || bytes.Length != rsa.KeySize / 8) return false;
        return rsa.VerifyData(Concatenate(serverCertificate, serverNonce), bytes, HashAlgorithmName.SHA256, algorithms.Signature);
    }

    private static byte[] Concatenate(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        var data = new byte[first.Length + second.Length];
        first.CopyTo(data);
        second.CopyTo(data.AsSpan(first.Length));
        return data;
    }
}
