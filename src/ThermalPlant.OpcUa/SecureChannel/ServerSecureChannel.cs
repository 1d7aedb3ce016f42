using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.SecureChannel;

/// <summary>
/// The server side of one secure channel (Part 4, 5.5; Part 6, 6.7): issues and renews security tokens,
/// accepts a message only under the current token or, until it expires, the one it replaced, and checks the
/// client's sequence numbers. Only SecurityPolicy None is accepted until Sign and SignAndEncrypt land; the
/// policy is checked here, in one place, so that adding one does not touch the framing.
/// </summary>
public sealed class ServerSecureChannel
{
    private readonly SecureChannelOptions _options;
    private readonly TimeProvider _time;
    private readonly SequenceNumberCheck _sequence = new();
    private ChannelSecurityToken? _current;
    private ChannelSecurityToken? _previous;
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

    /// <summary>
    /// Handles OpenSecureChannel: Issue on a new channel, Renew on an open one. Returns the response with the new
    /// token; throws the status code to answer with when the request cannot be accepted.
    /// </summary>
    public OpenSecureChannelResponse Open(OpenSecureChannelRequest request, AsymmetricSecurityHeader security)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(security);
        if (security.SecurityPolicyUri != SecurityPolicyUris.None)
        {
            throw new OpcUaException(StatusCodes.BadSecurityPolicyRejected, $"security policy {security.SecurityPolicyUri} is not offered");
        }
        if (request.SecurityMode != MessageSecurityMode.None)
        {
            throw new OpcUaException(StatusCodes.BadSecurityModeRejected, $"security mode {request.SecurityMode} does not match policy None");
        }
        switch (request.RequestType)
        {
            case SecurityTokenRequestType.Issue when IsOpen:
                throw new OpcUaException(StatusCodes.BadRequestTypeInvalid, "the channel is open already; renew its token instead");
            case SecurityTokenRequestType.Renew when !IsOpen:
                throw new OpcUaException(StatusCodes.BadRequestTypeInvalid, "there is no token to renew");
            case not (SecurityTokenRequestType.Issue or SecurityTokenRequestType.Renew):
                throw new OpcUaException(StatusCodes.BadRequestTypeInvalid, $"request type {request.RequestType}");
        }

        var now = _time.GetUtcNow().UtcDateTime;
        var lifetime = Math.Clamp(request.RequestedLifetime, (uint)_options.MinTokenLifetime.TotalMilliseconds, (uint)_options.MaxTokenLifetime.TotalMilliseconds);
        _previous = _current;
        _current = new ChannelSecurityToken { ChannelId = ChannelId, TokenId = _nextTokenId++, CreatedAt = now, RevisedLifetime = lifetime };
        return new OpenSecureChannelResponse
        {
            ResponseHeader = new ResponseHeader { Timestamp = now, RequestHandle = request.RequestHeader.RequestHandle },
            ServerProtocolVersion = 0,
            SecurityToken = _current,
            ServerNonce = [],
        };
    }

    /// <summary>Checks a MSG or CLO chunk's channel id and token: the current one, or the replaced one until it expires.</summary>
    public void CheckToken(uint channelId, uint tokenId)
    {
        if (channelId != ChannelId) throw new OpcUaException(StatusCodes.BadSecureChannelIdInvalid, $"channel {channelId} on channel {ChannelId}");
        var now = _time.GetUtcNow().UtcDateTime;
        if (_current is { } current && current.TokenId == tokenId && !Expired(current, now)) return;
        if (_previous is { } previous && previous.TokenId == tokenId && !Expired(previous, now)) return;
        throw new OpcUaException(StatusCodes.BadSecureChannelTokenUnknown, $"token {tokenId} is unknown or expired");
    }

    /// <summary>Checks the sequence number of the next chunk the client sent.</summary>
    public void CheckSequenceNumber(uint sequenceNumber) => _sequence.Accept(sequenceNumber);

    // A token stays valid for its lifetime plus 25 %, so a client renewing at 75 % never races the expiry (Part 6, 6.7.4).
    private static bool Expired(ChannelSecurityToken token, DateTime now) =>
        now > token.CreatedAt + TimeSpan.FromMilliseconds(token.RevisedLifetime * 1.25);
}
