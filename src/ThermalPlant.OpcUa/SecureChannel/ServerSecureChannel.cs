using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.SecureChannel;

/// <summary>
/// The server side of one secure channel (Part 4, 5.5; Part 6, 6.7): issues and renews security tokens with fresh
/// nonces and keys, accepts a message only under the current token or, until it expires, the one it replaced, and
/// checks the client's sequence numbers. The policy, mode and client certificate are fixed by the first
/// OpenSecureChannel; a renewal must keep them.
/// </summary>
public sealed class ServerSecureChannel
{
    private readonly SecureChannelOptions _options;
    private readonly TimeProvider _time;
    private readonly SequenceNumberCheck _sequence = new();
    private TokenKeys? _current;
    private TokenKeys? _previous;
    private uint _nextTokenId = 1;

    /// <summary>Creates a channel with id <paramref name="channelId"/> (unique among the server's channels, never 0).</summary>
    public ServerSecureChannel(uint channelId, SecureChannelOptions? options = null, TimeProvider? time = null)
    {
        if (channelId == 0) throw new ArgumentOutOfRangeException(nameof(channelId), "0 is not a channel id");
        ChannelId = channelId;
        _options = options ?? SecureChannelOptions.Default;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The channel id the server assigned.</summary>
    public uint ChannelId { get; }

    /// <summary>Whether a token has been issued.</summary>
    public bool IsOpen => _current is not null;

    /// <summary>The channel's policy (None until opened).</summary>
    public SecurityPolicy Policy { get; private set; } = SecurityPolicies.None;

    /// <summary>The channel's message security mode (None until opened).</summary>
    public MessageSecurityMode Mode { get; private set; } = MessageSecurityMode.None;

    /// <summary>The client's application instance certificate; null under SecurityPolicy None.</summary>
    public X509Certificate2? ClientCertificate { get; private set; }

    /// <summary>
    /// Handles OpenSecureChannel: Issue on a new channel, Renew on an open one. <paramref name="policy"/> and
    /// <paramref name="clientCertificate"/> come from the chunk's security header, already checked. Returns the response
    /// with the new token and the server's nonce; throws the status code to answer with when the request cannot be accepted.
    /// </summary>
    public OpenSecureChannelResponse Open(OpenSecureChannelRequest request, SecurityPolicy policy, X509Certificate2? clientCertificate)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(policy);
        CheckMode(request.SecurityMode, policy);
        switch (request.RequestType)
        {
            case SecurityTokenRequestType.Issue when IsOpen:
                throw new OpcUaException(StatusCodes.BadRequestTypeInvalid, "the channel is open already; renew its token instead");
            case SecurityTokenRequestType.Renew when !IsOpen:
                throw new OpcUaException(StatusCodes.BadRequestTypeInvalid, "there is no token to renew");
            case SecurityTokenRequestType.Renew when !ReferenceEquals(policy, Policy) || request.SecurityMode != Mode:
                throw new OpcUaException(StatusCodes.BadSecurityPolicyRejected, "a renewal must keep the channel's policy and mode");
            case SecurityTokenRequestType.Renew when !SameCertificate(clientCertificate, ClientCertificate):
                throw new OpcUaException(StatusCodes.BadCertificateInvalid, "a renewal must come from the certificate that opened the channel");
            case not (SecurityTokenRequestType.Issue or SecurityTokenRequestType.Renew):
                throw new OpcUaException(StatusCodes.BadRequestTypeInvalid, $"request type {request.RequestType}");
        }
        var clientNonce = request.ClientNonce ?? [];
        if (!policy.IsNone && clientNonce.Length != policy.NonceLength)
        {
            throw new OpcUaException(StatusCodes.BadNonceInvalid, $"the client nonce has {clientNonce.Length} bytes; {policy.Uri} needs {policy.NonceLength}");
        }

        var now = _time.GetUtcNow().UtcDateTime;
        var lifetime = Math.Clamp(request.RequestedLifetime, (uint)_options.MinTokenLifetime.TotalMilliseconds, (uint)_options.MaxTokenLifetime.TotalMilliseconds);
        var token = new ChannelSecurityToken { ChannelId = ChannelId, TokenId = _nextTokenId++, CreatedAt = now, RevisedLifetime = lifetime };
        var serverNonce = RandomNumberGenerator.GetBytes(policy.NonceLength);
        Policy = policy;
        Mode = request.SecurityMode;
        ClientCertificate = clientCertificate;
        _previous = _current;
        _current = new TokenKeys(token, Keys(clientNonce, serverNonce, send: false), Keys(clientNonce, serverNonce, send: true));
        return new OpenSecureChannelResponse
        {
            ResponseHeader = new ResponseHeader { Timestamp = now, RequestHandle = request.RequestHeader.RequestHandle },
            ServerProtocolVersion = 0,
            SecurityToken = token,
            ServerNonce = serverNonce,
        };
    }

    /// <summary>
    /// Checks a MSG or CLO chunk's channel id and token: the current one, or the replaced one until it expires.
    /// Returns how chunks under that token are secured.
    /// </summary>
    public ChunkSecurity CheckToken(uint channelId, uint tokenId) => CheckToken(channelId, tokenId, _time.GetUtcNow().UtcDateTime);

    /// <summary>
    /// Checks a chunk's channel id and token as <see cref="CheckToken(uint, uint)"/> does at <paramref name="now"/>, the
    /// caller's reading of the channel's clock (the server reads it once per request).
    /// </summary>
    public ChunkSecurity CheckToken(uint channelId, uint tokenId, DateTime now)
    {
        if (channelId != ChannelId) throw new OpcUaException(StatusCodes.BadSecureChannelIdInvalid, $"channel {channelId} on channel {ChannelId}");
        if (_current is { } current && current.Token.TokenId == tokenId && !Expired(current.Token, now)) return current.Receive;
        if (_previous is { } previous && previous.Token.TokenId == tokenId && !Expired(previous.Token, now)) return previous.Receive;
        throw new OpcUaException(StatusCodes.BadSecureChannelTokenUnknown, $"token {tokenId} is unknown or expired");
    }

    /// <summary>How the server secures a response under <paramref name="tokenId"/> (the token its request came with).</summary>
    public ChunkSecurity SendSecurity(uint tokenId)
    {
        if (_current is { } current && current.Token.TokenId == tokenId) return current.Send;
        if (_previous is { } previous && previous.Token.TokenId == tokenId) return previous.Send;
        return _current?.Send ?? throw new OpcUaException(StatusCodes.BadSecureChannelClosed, "no token has been issued");
    }

    /// <summary>Checks the sequence number of the next chunk the client sent.</summary>
    public void CheckSequenceNumber(uint sequenceNumber) => _sequence.Accept(sequenceNumber);

    // Policy None goes with mode None only, and every other policy with Sign or SignAndEncrypt (Part 4, 5.5.2).
    private static void CheckMode(MessageSecurityMode mode, SecurityPolicy policy)
    {
        var allowed = policy.IsNone ? mode == MessageSecurityMode.None : mode is MessageSecurityMode.Sign or MessageSecurityMode.SignAndEncrypt;
        if (!allowed) throw new OpcUaException(StatusCodes.BadSecurityModeRejected, $"security mode {mode} does not go with {policy.Uri}");
    }

    // Client keys: secret the server nonce, seed the client nonce; server keys the other way round (Part 6, 6.7.5).
    private ChunkSecurity Keys(ReadOnlySpan<byte> clientNonce, ReadOnlySpan<byte> serverNonce, bool send)
    {
        if (Policy.IsNone || Mode == MessageSecurityMode.None) return ChunkSecurity.None;
        var keys = send ? Policy.DeriveKeys(clientNonce, serverNonce) : Policy.DeriveKeys(serverNonce, clientNonce);
        return new SymmetricChunkSecurity(keys, Mode == MessageSecurityMode.SignAndEncrypt);
    }

    private static bool SameCertificate(X509Certificate2? a, X509Certificate2? b) =>
        a is null ? b is null : b is not null && a.RawDataMemory.Span.SequenceEqual(b.RawDataMemory.Span);

    // A token stays valid for its lifetime plus 25 %, so a client renewing at 75 % never races the expiry (Part 6, 6.7.4).
    private static bool Expired(ChannelSecurityToken token, DateTime now) =>
        now > token.CreatedAt + TimeSpan.FromMilliseconds(token.RevisedLifetime * 1.25);

    private sealed record TokenKeys(ChannelSecurityToken Token, ChunkSecurity Receive, ChunkSecurity Send);
}
