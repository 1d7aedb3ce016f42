using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Client;

/// <summary>
/// Builds the identity token and user token signature of an ActivateSession for <see cref="UserCredentials"/>,
/// following the server's user token policy: its PolicyId, and the security policy with which a password is
/// encrypted and a certificate login signed (the policy's own, or the endpoint's when the policy names none). Among
/// several policies of a kind (node-opcua offers one per security policy) the first one whose algorithms are
/// known here is taken, so a deprecated policy listed first (Basic256, Basic128Rsa15) is passed over.
/// </summary>
internal static class IdentityTokens
{
    public static (ExtensionObject Token, SignatureData Signature) Create(UserCredentials credentials, EndpointDescription endpoint, EndpointDescription[]? serverEndpoints, byte[]? serverCertificate, byte[]? serverNonce)
    {
        if (credentials.Certificate is { } certificate)
        {
            var (policy, tokenPolicy) = Protected(Policy(UserTokenType.Certificate, endpoint, serverEndpoints), endpoint, "a certificate login");
            var token = new X509IdentityToken { PolicyId = policy.PolicyId, CertificateData = certificate.RawData };
            var signature = UserTokenSignature.Sign(Required(serverCertificate, "certificate"), serverNonce ?? [], certificate, tokenPolicy);
            return (ExtensionObject.From(token), signature);
        }
        if (credentials.UserName is { } userName)
        {
            var policy = Policy(UserTokenType.UserName, endpoint, serverEndpoints);
            var password = System.Text.Encoding.UTF8.GetBytes(credentials.Password ?? string.Empty);
            try
            {
                if (EffectivePolicy(policy, endpoint) == SecurityPolicyUris.None)
                {
                    // Only an encrypting channel may carry a password that the token itself does not encrypt.
                    if (endpoint.SecurityMode != MessageSecurityMode.SignAndEncrypt)
                    {
                        throw new OpcUaException(StatusCodes.BadSecurityPolicyRejected, "the server would take the password in clear over an unencrypted channel");
                    }
                    return (ExtensionObject.From(new UserNameIdentityToken { PolicyId = policy.PolicyId, UserName = userName, Password = password }), new SignatureData());
                }
                var (_, tokenPolicy) = Protected(policy, endpoint, "a password");
                var encrypted = LegacySecret.Encrypt(password, serverNonce ?? [], LeafCertificate(Required(serverCertificate, "user name")), tokenPolicy);
                var token = new UserNameIdentityToken { PolicyId = policy.PolicyId, UserName = userName, Password = encrypted, EncryptionAlgorithm = tokenPolicy.AsymmetricEncryptionAlgorithm };
                return (ExtensionObject.From(token), new SignatureData());
            }
            finally
            {
                CryptographicOperations.ZeroMemory(password);
            }
        }
        var anonymous = FindPolicy(UserTokenType.Anonymous, endpoint, serverEndpoints);
        return (ExtensionObject.From(new AnonymousIdentityToken { PolicyId = anonymous?.PolicyId }), new SignatureData());
    }

    private static UserTokenPolicy Policy(UserTokenType type, EndpointDescription endpoint, EndpointDescription[]? serverEndpoints) =>
        FindPolicy(type, endpoint, serverEndpoints, usable: true)
        ?? FindPolicy(type, endpoint, serverEndpoints, usable: false)
        ?? throw new OpcUaException(StatusCodes.BadIdentityTokenRejected, $"the server offers no {type} user token policy on {endpoint.EndpointUrl}");

    // The chosen endpoint's policies come first; CreateSession's endpoint list is the fallback.
    private static UserTokenPolicy? FindPolicy(UserTokenType type, EndpointDescription endpoint, EndpointDescription[]? serverEndpoints, bool usable = false)
    {
        foreach (var policy in endpoint.UserIdentityTokens ?? [])
        {
            if (policy.TokenType == type && (!usable || Usable(policy, endpoint))) return policy;
        }
        foreach (var other in serverEndpoints ?? [])
        {
            foreach (var policy in other.UserIdentityTokens ?? [])
            {
                if (policy.TokenType == type && (!usable || Usable(policy, endpoint))) return policy;
            }
        }
        return null;
    }

    private static bool Usable(UserTokenPolicy policy, EndpointDescription endpoint)
    {
        var uri = EffectivePolicy(policy, endpoint);
        return SecurityPolicies.CanProtectUserTokens(uri) || (uri == SecurityPolicyUris.None && endpoint.SecurityMode == MessageSecurityMode.SignAndEncrypt);
    }

    private static string EffectivePolicy(UserTokenPolicy policy, EndpointDescription endpoint) =>
        policy.SecurityPolicyUri is { Length: > 0 } own ? own : endpoint.SecurityPolicyUri ?? SecurityPolicyUris.None;

    private static (UserTokenPolicy Policy, SecurityPolicy TokenPolicy) Protected(UserTokenPolicy policy, EndpointDescription endpoint, string what)
    {
        var uri = EffectivePolicy(policy, endpoint);
        if (uri == SecurityPolicyUris.None) throw new OpcUaException(StatusCodes.BadSecurityPolicyRejected, $"{what} needs a user token security policy; the server names none");
        return (policy, SecurityPolicies.ForUserTokens(uri));
    }

    private static byte[] Required(byte[]? serverCertificate, string what) =>
        serverCertificate is { Length: > 0 } ? serverCertificate : throw new OpcUaException(StatusCodes.BadCertificateInvalid, $"a {what} login needs the server's certificate, which the server did not send");

    // A server may send its certificate followed by its issuers (Part 4, 5.6.2); the first DER element is its own.
    private static X509Certificate2 LeafCertificate(byte[] chain)
    {
        try
        {
            AsnDecoder.ReadEncodedValue(chain, AsnEncodingRules.DER, out _, out _, out var length);
            return X509CertificateLoader.LoadCertificate(chain.AsSpan(0, length));
        }
        catch (Exception ex) when (ex is AsnContentException or CryptographicException)
        {
            throw new OpcUaException(StatusCodes.BadCertificateInvalid, $"the server's certificate does not parse: {ex.Message}");
        }
    }
}
