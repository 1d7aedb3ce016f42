using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Messages;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Subscriptions;

/// <summary>Sends a response to a request that was answered later than it arrived (Publish).</summary>
internal interface IResponder
{
    /// <summary>Whether the connection the request came on is still open.</summary>
    bool IsOpen { get; }

    /// <summary>
    /// Sends <paramref name="response"/> as the answer to request <paramref name="requestId"/>; it is encoded before this
    /// returns, as a Publish response's notification bodies go back to the pool after it (Subscription.SentMessage).
    /// </summary>
    void Respond(uint requestId, IServiceResponse response);
}

/// <summary>A Publish request parked until a subscription of its session has something to send; a struct, as there is one per response.</summary>
internal readonly record struct PendingPublish(PublishRequest Request, uint RequestId, IResponder Responder, DateTimeOffset Deadline, StatusCode[] AcknowledgementResults);

/// <summary>
/// The Publish requests a session has sent and that wait for notifications (Part 4, 5.13.5): oldest first, bounded;
/// a request whose timeout hint passes is answered with BadTimeout.
/// </summary>
internal sealed class PublishQueue(int capacity, TimeProvider time)
{
    private readonly Queue<PendingPublish> _queue = new();
    private readonly Lock _lock = new();

    /// <summary>How often the requests of closed connections are looked for when no deadline passed.</summary>
    private static readonly TimeSpan ClosedSweep = TimeSpan.FromSeconds(10);

    // No parked request's deadline is before this (it may be earlier than the earliest still parked): every publishing
    // cycle calls ExpireStale, and one before it and before the next sweep has nothing to look at (1,000 sessions at 1 s:
    // 1,000 scans a second otherwise).
    private DateTimeOffset _earliestDeadline = DateTimeOffset.MaxValue;
    private DateTimeOffset _nextSweep;

    public int Count
    {
        get
        {
            lock (_lock) return _queue.Count;
        }
    }

    /// <summary>Parks a request; when full, the oldest is answered with BadTooManyPublishRequests.</summary>
    public void Add(PendingPublish request)
    {
        PendingPublish evicted = default;
        var full = false;
        lock (_lock)
        {
            if (_queue.Count >= capacity)
            {
                evicted = _queue.Dequeue();
                full = true;
            }
            _queue.Enqueue(request);
            if (request.Deadline < _earliestDeadline) _earliestDeadline = request.Deadline;
        }
        if (full) Fault(evicted, StatusCodes.BadTooManyPublishRequests);
    }

    /// <summary>Takes the oldest request still answerable, answering expired ones with BadTimeout on the way.</summary>
    public bool TryTake(out PendingPublish request)
    {
        var now = time.GetUtcNow();
        while (true)
        {
            PendingPublish next;
            lock (_lock)
            {
                if (!_queue.TryDequeue(out next))
                {
                    request = default;
                    return false;
                }
            }
            if (!next.Responder.IsOpen) continue;
            if (next.Deadline < now)
            {
                Fault(next, StatusCodes.BadTimeout);
                continue;
            }
            request = next;
            return true;
        }
    }

    /// <summary>Answers every parked request with <paramref name="status"/> (no subscriptions left).</summary>
    public void FaultAll(StatusCode status)
    {
        while (TryTake(out var request)) Fault(request, status);
    }

    /// <summary>
    /// Answers expired requests with BadTimeout once a deadline has passed, and drops those of closed connections then or
    /// at the latest <see cref="ClosedSweep"/> after the last look (meanwhile <see cref="TryTake"/> skips them).
    /// </summary>
    public void ExpireStale()
    {
        var now = time.GetUtcNow();
        List<PendingPublish>? expired = null;
        lock (_lock)
        {
            // Most requests carry no timeout hint, and most cycles come before any deadline: nothing to look at.
            if (_earliestDeadline >= now && now < _nextSweep) return;
            _nextSweep = now + ClosedSweep;
            var earliest = DateTimeOffset.MaxValue;
            var count = _queue.Count;
            for (var i = 0; i < count; i++)
            {
                var item = _queue.Dequeue();
                if (item.Deadline < now || !item.Responder.IsOpen)
                {
                    (expired ??= []).Add(item);
                    continue;
                }
                _queue.Enqueue(item);
                if (item.Deadline < earliest) earliest = item.Deadline;
            }
            _earliestDeadline = earliest;
        }
        foreach (var item in expired ?? []) Fault(item, StatusCodes.BadTimeout);
    }

    private void Fault(PendingPublish request, StatusCode status)
    {
        if (!request.Responder.IsOpen) return;
        request.Responder.Respond(request.RequestId, new ServiceFault
        {
            ResponseHeader = new ResponseHeader { Timestamp = time.GetUtcNow().UtcDateTime, RequestHandle = request.Request.RequestHeader.RequestHandle, ServiceResult = status },
        });
    }
}
