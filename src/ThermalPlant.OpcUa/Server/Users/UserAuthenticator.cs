using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Users;

/// <summary>
/// Turns the identity token of an ActivateSession (Part 4, 5.6.3 and 7.41) into a <see cref="UserIdentity"/>, or
/// refuses it: a malformed or unknown token BadIdentityTokenInvalid, a token this server does not accept
/// BadIdentityTokenRejected, a wrong password BadUserAccessDenied, a wrong user certificate signature
/// BadUserSignatureInvalid. With no options there is no access control: anonymous sessions may do everything.
/// </summary>
internal sealed class UserAuthenticator
{
    public const string AnonymousPolicyId = "anonymous";
    public const string UserNamePolicyId = "username";
    public const string CertificatePolicyId = "certificate";

    /// <summary>Longest user certificate accepted, far above any real one, so a token cannot make us parse megabytes.</summary>
    private const int MaxCertificateLength = 32 * 1024;

    // Hashed once so that a login with an unknown name costs what a wrong password costs and names cannot be probed.
    private static readonly Lazy<string> DecoyHash = new(() => PasswordHash.Create("decoy"));

    private readonly UserAuthenticationOptions? _options;
    private readonly X509Certificate2? _serverCertificate;
    private readonly UserTokenAlgorithms? _algorithms;
    private readonly Dictionary<string, UserAccount> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, UserAccount> _byThumbprint = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _time;
    private readonly UserTokenPolicy[] _policies;

    public UserAuthenticator(UserAuthenticationOptions? options, X509Certificate2? serverCertificate, TimeProvider time)
    {
        _options = options;
        _serverCertificate = serverCertificate;
        _time = time;
        _policies = [new UserTokenPolicy { PolicyId = AnonymousPolicyId, TokenType = UserTokenType.Anonymous }];
        if (options is null) return;
        if (options.Validate() is { Count: > 0 } errors) throw new ArgumentException($"user authentication options: {string.Join("; ", errors)}", nameof(options));
        _algorithms = UserTokenAlgorithms.For(options.UserTokenSecurityPolicyUri);
        foreach (var user in options.Users)
        {
            _byName[user.Name] = user;
            if (user.CertificateThumbprint is { } thumbprint) _byThumbprint[thumbprint] = user;
        }
        if ((_byName.Count > 0) && serverCertificate?.HasPrivateKey != true)
        {
            throw new ArgumentException("users need the server's application certificate with its private key, to decrypt passwords and to be signed for", nameof(serverCertificate));
        }
        _policies = OfferedPolicies(options);
    }

    /// <summary>The token policies offered in every endpoint (one shared array; responses only encode it).</summary>
    public UserTokenPolicy[] Policies() => _policies;

    /// <summary>
    /// Authenticates the token of <paramref name="request"/> against the nonce the server last gave the session;
    /// <paramref name="claimedUser"/> is the user name the token claims, for the log when it is refused.
    /// </summary>
    public UserIdentity Authenticate(ActivateSessionRequest request, byte[] serverNonce, ref string? claimedUser)
    {
        var token = request.UserIdentityToken;
        if (token.Encoding == ExtensionObjectEncoding.None) return Anonymous(null);
        if (token.Encoding != ExtensionObjectEncoding.Binary || token.TypeId.NamespaceIndex != 0 || token.TypeId.IdType != NodeIdType.Numeric)
        {
            throw new OpcUaException(StatusCodes.BadIdentityTokenInvalid, $"identity token {token.TypeId} in encoding {token.Encoding} is not understood");
        }
        try
        {
            var decoder = new BinaryDecoder(token.Body.Span);
            switch (token.TypeId.Numeric)
            {
                case AnonymousIdentityToken.BinaryEncodingId:
                    return Anonymous(AnonymousIdentityToken.Decode(ref decoder).PolicyId);
                case UserNameIdentityToken.BinaryEncodingId:
                    var userName = UserNameIdentityToken.Decode(ref decoder);
                    claimedUser = userName.UserName;
                    return UserName(userName, serverNonce);
                case X509IdentityToken.BinaryEncodingId:
                    return Certificate(X509IdentityToken.Decode(ref decoder), request.UserTokenSignature, serverNonce, ref claimedUser);
                default:
                    throw new OpcUaException(StatusCodes.BadIdentityTokenInvalid, $"identity token type {token.TypeId} is not supported");
            }
        }
        catch (OpcUaException ex) when (ex.Status.Code is StatusCodes.BadDecodingError or StatusCodes.BadEncodingLimitsExceeded)
        {
            throw new OpcUaException(StatusCodes.BadIdentityTokenInvalid, $"the identity token does not decode: {ex.Message}");
        }
    }

    private UserTokenPolicy[] OfferedPolicies(UserAuthenticationOptions options)
    {
        var policies = new List<UserTokenPolicy>(3);
        if (options.AllowAnonymous) policies.Add(new UserTokenPolicy { PolicyId = AnonymousPolicyId, TokenType = UserTokenType.Anonymous });
        if (_byName.Values.Any(u => u.PasswordHash is not null))
        {
            policies.Add(new UserTokenPolicy { PolicyId = UserNamePolicyId, TokenType = UserTokenType.UserName, SecurityPolicyUri = options.UserTokenSecurityPolicyUri });
        }
        if (_byThumbprint.Count > 0)
        {
            policies.Add(new UserTokenPolicy { PolicyId = CertificatePolicyId, TokenType = UserTokenType.Certificate, SecurityPolicyUri = options.UserTokenSecurityPolicyUri });
        }
        return [.. policies];
    }

    private UserIdentity Anonymous(string? policyId)
    {
        if (policyId is { Length: > 0 } && policyId != AnonymousPolicyId) throw new OpcUaException(StatusCodes.BadIdentityTokenInvalid, $"unknown user token policy '{policyId}'");
        if (_options is null) return UserIdentity.Unrestricted;
        if (!_options.AllowAnonymous) throw new OpcUaException(StatusCodes.BadIdentityTokenRejected, "anonymous sessions are not allowed on this server");
        return new UserIdentity(UserTokenType.Anonymous, null, _options.AnonymousRole, _options.Roles[_options.AnonymousRole]);
    }

    private UserIdentity UserName(UserNameIdentityToken token, byte[] serverNonce)
    {
        var (options, algorithms, certificate) = Configured(token.PolicyId, UserNamePolicyId, "user name");
        if (string.IsNullOrEmpty(token.UserName)) throw new OpcUaException(StatusCodes.BadIdentityTokenInvalid, "the user name is empty");
        if (token.EncryptionAlgorithm != algorithms.EncryptionAlgorithmUri)
        {
            // A password in clear (or encrypted otherwise than the policy says) is refused, even on an encrypted channel.
            throw new OpcUaException(StatusCodes.BadIdentityTokenInvalid, $"the password must be encrypted with {algorithms.EncryptionAlgorithmUri}, not '{token.EncryptionAlgorithm}'");
        }
        var password = LegacySecret.Decrypt(token.Password ?? [], serverNonce, certificate, algorithms);
        try
        {
            var known = _byName.TryGetValue(token.UserName, out var user) && user.PasswordHash is not null;
            var matches = PasswordHash.Verify(password, known ? user!.PasswordHash : DecoyHash.Value);
            if (!known || !matches) throw new OpcUaException(StatusCodes.BadUserAccessDenied, known ? "wrong password" : "unknown user name");
            return new UserIdentity(UserTokenType.UserName, user!.Name, user.Role, options.Roles[user.Role]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
        }
    }

    private UserIdentity Certificate(X509IdentityToken token, SignatureData? signature, byte[] serverNonce, ref string? claimedUser)
    {
        var (options, algorithms, serverCertificate) = Configured(token.PolicyId, CertificatePolicyId, "certificate");
        if (token.CertificateData is not { Length: > 0 and <= MaxCertificateLength } data)
        {
            throw new OpcUaException(StatusCodes.BadIdentityTokenInvalid, $"the user certificate must be 1 to {MaxCertificateLength} bytes");
        }
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(data);
        }
        catch (CryptographicException ex)
        {
            throw new OpcUaException(StatusCodes.BadIdentityTokenInvalid, $"the user certificate does not parse: {ex.Message}");
        }
        using (certificate)
        {
            claimedUser = certificate.Subject;
            var now = _time.GetUtcNow();
            if (now < certificate.NotBefore.ToUniversalTime() || now > certificate.NotAfter.ToUniversalTime())
            {
                throw new OpcUaException(StatusCodes.BadIdentityTokenRejected, $"the user certificate is valid from {certificate.NotBefore:O} to {certificate.NotAfter:O} only");
            }
            if (!_byThumbprint.TryGetValue(certificate.GetCertHashString(HashAlgorithmName.SHA256), out var user))
            {
                throw new OpcUaException(StatusCodes.BadIdentityTokenRejected, "the user certificate belongs to no configured user");
            }
            claimedUser = user.Name;
            if (!UserTokenSignature.Verify(signature, serverCertificate.RawData, serverNonce, certificate, algorithms))
            {
                throw new OpcUaException(StatusCodes.BadUserSignatureInvalid, "the user token signature does not verify over the server certificate and nonce");
            }
            return new UserIdentity(UserTokenType.Certificate, user.Name, user.Role, options.Roles[user.Role]);
        }
    }

    private (UserAuthenticationOptions Options, UserTokenAlgorithms Algorithms, X509Certificate2 Certificate) Configured(string? policyId, string expected, string kind)
    {
        if (_options is null || _algorithms is null || _serverCertificate is null)
        {
            throw new OpcUaException(StatusCodes.BadIdentityTokenRejected, $"this server accepts no {kind} logins");
        }
        if (policyId != expected) throw new OpcUaException(StatusCodes.BadIdentityTokenInvalid, $"unknown {kind} token policy '{policyId}'");
        return (_options, _algorithms, _serverCertificate);
    }
}
