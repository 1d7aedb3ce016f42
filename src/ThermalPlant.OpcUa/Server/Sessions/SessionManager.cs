using System.Collections.Concurrent;
using System.Security.Cryptography;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.Subscriptions;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Sessions;

/// <summary>
/// Creates, activates, finds and closes sessions; a session unused for longer than its timeout is gone
/// (Part 4, 5.6.2). Limits the number of sessions with BadTooManySessions.
/// </summary>
public sealed class SessionManager(int maxSessions, TimeSpan minTimeout, TimeSpan maxTimeout, int maxPublishRequests, TimeProvider time)
{
    private readonly ConcurrentDictionary<NodeId, Session> _byToken = new();

    /// <summary>Sessions open now.</summary>
    public int Count => _byToken.Count;

    /// <summary>
    /// Creates a session bound to <paramref name="channelId"/>, whose client certificate has the thumbprint
    /// <paramref name="clientThumbprint"/> (null on SecurityPolicy None), with the requested timeout revised into range.
    /// </summary>
    public Session Create(string? name, uint channelId, string? clientThumbprint, double requestedTimeoutMs)
    {
        Purge();
        if (_byToken.Count >= maxSessions) throw new OpcUaException(StatusCodes.BadTooManySessions, $"the server serves at most {maxSessions} sessions");
        var timeout = TimeSpan.FromMilliseconds(Math.Clamp(double.IsFinite(requestedTimeoutMs) ? requestedTimeoutMs : 0, minTimeout.TotalMilliseconds, maxTimeout.TotalMilliseconds));
        var session = new Session(NodeId.Of(Guid.NewGuid(), 1), NodeId.Of(RandomNumberGenerator.GetBytes(32), 0), name, channelId, clientThumbprint, timeout, time.GetUtcNow(), new PublishQueue(maxPublishRequests, time));
        _byToken[session.AuthenticationToken] = session;
        return session;
    }

    /// <summary>The session of <paramref name="token"/>, alive and not timed out, or BadSessionIdInvalid.</summary>
    public Session Find(NodeId token) => Find(token, time.GetUtcNow());

    /// <summary>The activated session of <paramref name="token"/> on <paramref name="channelId"/>, its activity noted.</summary>
    public Session ForRequest(NodeId token, uint channelId)
    {
        // One clock reading per request: every Publish of 1,000 sessions comes here.
        var now = time.GetUtcNow();
        var session = Find(token, now);
        if (!session.IsActivated) throw new OpcUaException(StatusCodes.BadSessionNotActivated, "activate the session first");
        if (session.ChannelId != channelId) throw new OpcUaException(StatusCodes.BadSecureChannelIdInvalid, "the session belongs to another secure channel");
        session.LastActivity = now;
        return session;
    }

    private Session Find(NodeId token, DateTimeOffset now)
    {
        if (!_byToken.TryGetValue(token, out var session)) throw new OpcUaException(StatusCodes.BadSessionIdInvalid, "no session with this authentication token");
        if (now - session.LastActivity > session.Timeout)
        {
            _byToken.TryRemove(token, out _);
            throw new OpcUaException(StatusCodes.BadSessionIdInvalid, "the session timed out");
        }
        return session;
    }

    /// <summary>Activates (or re-activates on a new channel) <paramref name="session"/> for <paramref name="identity"/>.</summary>
    public void Activate(Session session, uint channelId, UserIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(session);
        session.Identity = identity;
        session.ChannelId = channelId;
        session.IsActivated = true;
        session.LastActivity = time.GetUtcNow();
    }

    /// <summary>Closes the session of <paramref name="token"/> and returns it.</summary>
    public Session Close(NodeId token)
    {
        if (!_byToken.TryRemove(token, out var session)) throw new OpcUaException(StatusCodes.BadSessionIdInvalid, "no session with this authentication token");
        return session;
    }

    private void Purge()
    {
        var now = time.GetUtcNow();
        foreach (var (token, session) in _byToken)
        {
            if (now - session.LastActivity > session.Timeout) _byToken.TryRemove(token, out _);
        }
    }
}
