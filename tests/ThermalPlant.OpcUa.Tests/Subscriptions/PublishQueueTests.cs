using Microsoft.Extensions.Time.Testing;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Messages;
using ThermalPlant.OpcUa.Server.Subscriptions;

namespace ThermalPlant.OpcUa.Tests.Subscriptions;

/// <summary>
/// Parked Publish requests (Part 4, 5.13.5): every publishing cycle asks the queue to expire requests, which it does
/// without looking at each one until a deadline has passed or its sweep for closed connections is due.
/// </summary>
public sealed class PublishQueueTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    [Fact]
    public void A_request_is_answered_BadTimeout_at_the_first_look_after_its_deadline_and_one_without_a_hint_stays()
    {
        var queue = new PublishQueue(10, _time);
        var responder = new Responder();
        queue.Add(Request(1, responder, _time.GetUtcNow().AddSeconds(5)));
        queue.Add(Request(2, responder, DateTimeOffset.MaxValue));
        queue.Add(Request(3, responder, _time.GetUtcNow().AddSeconds(20)));

        _time.Advance(TimeSpan.FromSeconds(5));
        queue.ExpireStale();
        Assert.Empty(responder.Faults);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        queue.ExpireStale();
        Assert.Equal([(1u, StatusCodes.BadTimeout)], responder.Faults);

        // The next deadline is the third's: nothing before it.
        _time.Advance(TimeSpan.FromSeconds(14));
        queue.ExpireStale();
        Assert.Single(responder.Faults);
        _time.Advance(TimeSpan.FromSeconds(1));
        queue.ExpireStale();
        Assert.Equal([(1u, StatusCodes.BadTimeout), (3u, StatusCodes.BadTimeout)], responder.Faults);

        Assert.True(queue.TryTake(out var left));
        Assert.Equal(2u, left.RequestId);
    }

    [Fact]
    public void Requests_of_a_closed_connection_are_dropped_by_the_sweep_and_skipped_before()
    {
        var queue = new PublishQueue(10, _time);
        var closed = new Responder();
        var open = new Responder();
        queue.ExpireStale();
        queue.Add(Request(1, closed, DateTimeOffset.MaxValue));
        queue.Add(Request(2, open, DateTimeOffset.MaxValue));
        closed.IsOpen = false;

        queue.ExpireStale();
        Assert.Equal(2, queue.Count);
        _time.Advance(TimeSpan.FromSeconds(10));
        queue.ExpireStale();
        Assert.Equal(1, queue.Count);
        // Nothing is sent on a closed connection.
        Assert.Empty(closed.Faults);
        Assert.True(queue.TryTake(out var left));
        Assert.Equal(2u, left.RequestId);
    }

    [Fact]
    public void A_closed_connection_s_request_is_skipped_when_taken()
    {
        var queue = new PublishQueue(10, _time);
        var closed = new Responder();
        queue.Add(Request(1, closed, DateTimeOffset.MaxValue));
        queue.Add(Request(2, new Responder(), DateTimeOffset.MaxValue));
        closed.IsOpen = false;

        Assert.True(queue.TryTake(out var taken));
        Assert.Equal(2u, taken.RequestId);
        Assert.Equal(0, queue.Count);
    }

    private static PendingPublish Request(uint id, IResponder responder, DateTimeOffset deadline) =>
        new(new PublishRequest { RequestHeader = new RequestHeader() }, id, responder, deadline, []);

    private sealed class Responder : IResponder
    {
        public bool IsOpen { get; set; } = true;

        public List<(uint RequestId, uint Status)> Faults { get; } = [];

        public void Respond(uint requestId, IServiceResponse response) =>
            Faults.Add((requestId, Assert.IsType<ServiceFault>(response).ResponseHeader.ServiceResult.Code));
    }
}
