using System.Runtime.CompilerServices;
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
/// Password checks run a bounded number at a time (<see cref="PasswordCheckGate"/>), and a user name with too many
/// wrong passwords is refused for a while without one (<see cref="FailedLoginLockout"/>).
/// </summary>
internal sealed class UserAuthenticator : IDisposable
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
    private readonly SecurityPolicy? _tokenPolicy;
    private readonly Dictionary<string, UserAccount> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, UserAccount> _byThumbprint = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _time;
    private readonly UserTokenPolicy[] _policies;
    private readonly PasswordCheckGate _passwordChecks;
    private readonly FailedLoginLockout _lockout;

    public UserAuthenticator(UserAuthenticationOptions? options, X509Certificate2? serverCertificate, TimeProvider time)
    {
        _options = options;
        _serverCertificate = serverCertificate;
        _time = time;
        _policies = [new UserTokenPolicy { PolicyId = AnonymousPolicyId, TokenType = UserTokenType.Anonymous }];
        if (options?.Validate() is { Count: > 0 } errors) throw new ArgumentException($"user authentication options: {string.Join("; ", errors)}", nameof(options));
        var limits = options ?? new UserAuthenticationOptions();
        _passwordChecks = new PasswordCheckGate(limits.MaxConcurrentPasswordChecks, limits.MaxQueuedPasswordChecks);
        _lockout = new FailedLoginLockout(limits.LockoutThreshold, limits.LockoutWindow, limits.LockoutDuration, time);
        if (options is null) return;
        _tokenPolicy = SecurityPolicies.ForUserTokens(options.UserTokenSecurityPolicyUri);
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

    /// <summary>The bound on concurrent password checks, exposed so tests can see it held.</summary>
    public PasswordCheckGate PasswordChecks => _passwordChecks;

    /// <summary>
    /// Authenticates the token of <paramref name="request"/> against the nonce the server last gave the session;
    /// <paramref name="claimedUser"/> receives the user name the token claims, for the log when it is refused.
    /// </summary>
    public async Task<UserIdentity> AuthenticateAsync(ActivateSessionRequest request, byte[] serverNonce, StrongBox<string?> claimedUser, CancellationToken cancellationToken)
    {
        switch (Decode(request.UserIdentityToken))
        {
            case null:
                return Anonymous(null);
            case AnonymousIdentityToken anonymous:
                return Anonymous(anonymous.PolicyId);
            case UserNameIdentityToken userName:
                claimedUser.Value = userName.UserName;
                return await UserNameAsync(userName, serverNonce, cancellationToken).ConfigureAwait(false);
            case var certificate:
                return Certificate((X509IdentityToken)certificate, request.UserTokenSignature, serverNonce, claimedUser);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _passwordChecks.Dispose();

    /// <summary>The identity token decoded; null for none (anonymous).</summary>
    private static object? Decode(ExtensionObject token)
    {
        if (token.Encoding == ExtensionObjectEncoding.None) return null;
        if (token.Encoding != ExtensionObjectEncoding.Binary || token.TypeId.NamespaceIndex != 0 || token.TypeId.IdType != NodeIdType.Numeric)
        {
            throw new OpcUaException(StatusCodes.BadIdentityTokenInvalid, $"identity token {token.TypeId} in encoding {token.Encoding} is not understood");
        }
        try
        {
            var decoder = new BinaryDecoder(token.Body.Span);
            return token.TypeId.Numeric switch
            {
                AnonymousIdentityToken.BinaryEncodingId => AnonymousIdentityToken.Decode(ref decoder),
                UserNameIdentityToken.BinaryEncodingId => UserNameIdentityToken.Decode(ref decoder),
                X509IdentityToken.BinaryEncodingId => X509IdentityToken.Decode(ref decoder),
                _ => throw new OpcUaException(StatusCodes.BadIdentityTokenInvalid, $"identity token type {token.TypeId} is not supported"),
            };
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

    private async Task<UserIdentity> UserNameAsync(UserNameIdentityToken token, byte[] serverNonce, CancellationToken cancellationToken)
    {
        var (options, tokenPolicy, certificate) = Configured(token.PolicyId, UserNamePolicyId, "user name");
        if (string.IsNullOrEmpty(token.UserName)) throw new OpcUaException(StatusCodes.BadIdentityTokenInvalid, "the user name is empty");
        if (token.EncryptionAlgorithm != tokenPolicy.AsymmetricEncryptionAlgorithm)
        {
            // A password in clear (or encrypted otherwise than the policy says) is refused, even on an encrypted channel.
            throw new OpcUaException(StatusCodes.BadIdentityTokenInvalid, $"the password must be encrypted with {tokenPolicy.AsymmetricEncryptionAlgorithm}, not '{token.EncryptionAlgorithm}'");
        }
        if (_lockout.LockedUntil(token.UserName) is { } until)
        {
            // The same code as a wrong password, so a lockout does not reveal that the name exists.
            throw new OpcUaException(StatusCodes.BadUserAccessDenied, $"too many wrong passwords; locked until {until:O}");
        }
        var password = LegacySecret.Decrypt(token.Password ?? [], serverNonce, certificate, tokenPolicy);
        try
        {
            var known = _byName.TryGetValue(token.UserName, out var user) && user.PasswordHash is not null;
            var hash = known ? user!.PasswordHash : DecoyHash.Value;
            var matches = await _passwordChecks.RunAsync(() => PasswordHash.Verify(password, hash), cancellationToken).ConfigureAwait(false);
            if (!known || !matches)
            {
                _lockout.Failed(token.UserName);
                throw new OpcUaException(StatusCodes.BadUserAccessDenied, known ? "wrong password" : "unknown user name");
            }
            _lockout.Succeeded(token.UserName);
            return new UserIdentity(UserTokenType.UserName, user!.Name, user.Role, options.Roles[user.Role]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
        }
    }

    private UserIdentity Certificate(X509IdentityToken token, SignatureData? signature, byte[] serverNonce, StrongBox<string?> claimedUser)
    {
        var (options, tokenPolicy, serverCertificate) = Configured(token.PolicyId, CertificatePolicyId, "certificate");
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
            claimedUser.Value = certificate.Subject;
            var now = _time.GetUtcNow();
            if (now < certificate.NotBefore.ToUniversalTime() || now > certificate.NotAfter.ToUniversalTime())
            {
                throw new OpcUaException(StatusCodes.BadIdentityTokenRejected, $"the user certificate is valid from {certificate.NotBefore:O} to {certificate.NotAfter:O} only");
            }
            if (!_byThumbprint.TryGetValue(certificate.GetCertHashString(HashAlgorithmName.SHA256), out var user))
            {
                throw new OpcUaException(StatusCodes.BadIdentityTokenRejected, "the user certificate belongs to no configured user");
            }
            claimedUser.Value = user.Name;
            if (!UserTokenSignature.Verify(signature, serverCertificate.RawData, serverNonce, certificate, tokenPolicy))
            {
                throw new OpcUaException(StatusCodes.BadUserSignatureInvalid, "the user token signature does not verify over the server certificate and nonce");
            }
            return new UserIdentity(UserTokenType.Certificate, user.Name, user.Role, options.Roles[user.Role]);
        }
    }

    private (UserAuthenticationOptions Options, SecurityPolicy TokenPolicy, X509Certificate2 Certificate) Configured(string? policyId, string expected, string kind)
    {
        if (_options is null || _tokenPolicy is null || _serverCertificate is null)
        {
            throw new OpcUaException(StatusCodes.BadIdentityTokenRejected, $"this server accepts no {kind} logins");
        }
        if (policyId != expected) throw new OpcUaException(StatusCodes.BadIdentityTokenInvalid, $"unknown {kind} token policy '{policyId}'");
        return (_options, _tokenPolicy, _serverCertificate);
    }
}
