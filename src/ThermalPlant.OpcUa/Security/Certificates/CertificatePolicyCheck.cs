using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Security.Certificates;

/// <summary>
/// The Security Policy Check of Part 4, 6.1.3: the certificate's key length and the signatures of its chain must
/// fit the channel's policy (BadCertificatePolicyCheckFailed otherwise).
/// </summary>
internal static class CertificatePolicyCheck
{
    /// <summary>Checks <paramref name="chain"/> (leaf first) against <paramref name="policy"/>; policy None asks nothing.</summary>
    public static void Check(IReadOnlyList<X509Certificate2> chain, SecurityPolicy policy)
    {
        if (policy.IsNone) return;
        var leaf = chain[0];
        using (var key = leaf.GetRSAPublicKey())
        {
            if (key is null || key.KeySize < policy.MinAsymmetricKeyBits || key.KeySize > policy.MaxAsymmetricKeyBits)
            {
                throw new OpcUaException(StatusCodes.BadCertificatePolicyCheckFailed, $"the key of {leaf.Subject} does not fit {policy.Uri}");
            }
        }
        foreach (var certificate in chain)
        {
            // Part 7: Basic256Sha256 and the Aes* policies sign certificates with SHA-256; SHA-1 is refused, stronger hashes are not.
            if (SignedData.Of(certificate).Hash is not { } hash || hash == HashAlgorithmName.SHA1)
            {
                throw new OpcUaException(StatusCodes.BadCertificatePolicyCheckFailed, $"{certificate.Subject} is signed with {certificate.SignatureAlgorithm.FriendlyName ?? certificate.SignatureAlgorithm.Value}, which {policy.Uri} does not allow");
            }
        }
    }
}
