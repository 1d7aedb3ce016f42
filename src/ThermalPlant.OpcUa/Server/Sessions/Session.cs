using System.Collections.Concurrent;
using ThermalPlant.OpcUa.Server.Subscriptions;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Sessions;

/// <summary>A client session (Part 4, 5.6): bound to the secure channel that created or last activated it.</summary>
public sealed class Session
{
    private byte[] _serverNonce = [];

    internal Session(NodeId sessionId, NodeId authenticationToken, string? name, uint channelId, string? clientThumbprint, TimeSpan timeout, DateTimeOffset now, PublishQueue publishRequests)
    {
        ClientThumbprint = clientThumbprint;
        PublishRequests = publishRequests;
        SessionId = sessionId;
        AuthenticationToken = authenticationToken;
        Name = name;
        ChannelId = channelId;
        Timeout = timeout;
        LastActivity = now;
    }

    /// <summary>The public session id.</summary>
    public NodeId SessionId { get; }

    /// <summary>The secret token requests carry.</summary>
    public NodeId AuthenticationToken { get; }

    /// <summary>The name the client gave.</summary>
    public string? Name { get; }

    /// <summary>The secure channel the session is bound to.</summary>
    public uint ChannelId { get; internal set; }

    /// <summary>
    /// The SHA-256 thumbprint of the client certificate of the channel that created the session; null when that
    /// channel had SecurityPolicy None. A later channel must present the same (Part 4, 5.6.3).
    /// </summary>
    public string? ClientThumbprint { get; }

    /// <summary>The revised timeout.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Whether ActivateSession succeeded.</summary>
    public bool IsActivated { get; internal set; }

    /// <summary>Who the session acts for; set by ActivateSession.</summary>
    public UserIdentity Identity { get; internal set; } = UserIdentity.Unrestricted;

    /// <summary>
    /// The nonce the server last gave the client (CreateSession or ActivateSession): the next identity token is bound
    /// to it, and on a secured channel the next ActivateSession signs it.
    /// </summary>
    internal byte[] ServerNonce
    {
        get => Volatile.Read(ref _serverNonce);
        set => Volatile.Write(ref _serverNonce, value);
    }

    /// <summary>
    /// Takes the current nonce for one activation and leaves <paramref name="placeholder"/> in its place, so that two
    /// activations racing on the session (a replayed request among them) are never both checked against one nonce.
    /// </summary>
    internal byte[] ClaimNonce(byte[] placeholder) => Interlocked.Exchange(ref _serverNonce, placeholder);

    /// <summary>Gives a failed activation's nonce back, so the client may try again, unless another activation replaced it since.</summary>
    internal void ReturnNonce(byte[] claimed, byte[] placeholder) => Interlocked.CompareExchange(ref _serverNonce, claimed, placeholder);

    /// <summary>When the session last served a request.</summary>
    public DateTimeOffset LastActivity { get; internal set; }

    /// <summary>Publish requests waiting for notifications.</summary>
    internal PublishQueue PublishRequests { get; }

    /// <summary>
    /// The session's subscriptions, so a Publish finds them without going through every subscription of the server;
    /// kept by the subscription service under a lock on the list itself.
    /// </summary>
    internal List<Subscription> Subscriptions { get; } = [];

    /// <summary>History continuation points of this session, by their opaque id.</summary>
    internal ConcurrentDictionary<string, object> HistoryContinuationPoints { get; } = new(StringComparer.Ordinal);

    /// <summary>Browse continuation points of this session, by their opaque id.</summary>
    internal ConcurrentDictionary<string, BrowseContinuation> ContinuationPoints { get; } = new(StringComparer.Ordinal);
}
