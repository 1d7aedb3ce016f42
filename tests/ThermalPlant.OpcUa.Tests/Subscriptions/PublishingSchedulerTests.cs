using Microsoft.Extensions.Time.Testing;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Messages;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Sessions;
using ThermalPlant.OpcUa.Server.Subscriptions;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Subscriptions;

/// <summary>
/// Subscriptions share one publishing timer per interval (issue 15: ten clients at 100 ms cost ten wake-ups a second, not
/// a hundred), and a Publish response is sent after the subscription's lock is released.
/// </summary>
public sealed class PublishingSchedulerTests
{
    private static readonly TimeSpan Fast = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Slow = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    [Fact]
    public void Subscriptions_of_one_interval_share_one_timer_and_each_is_cycled_once_per_interval()
    {
        var scheduler = new PublishingScheduler(_time);
        var fast = Enumerable.Range(1, 10).Select(i => Parked((uint)i, scheduler, Fast)).ToList();
        var slow = Parked(11, scheduler, Slow);
        Assert.Equal(2, scheduler.TimerCount);

        // The first quiet cycle answers the parked request with a keep-alive at once, so each cycle shows.
        _time.Advance(Fast);
        Assert.All(fast, f => Assert.Equal(1, f.Responder.Responses));
        Assert.Equal(0, slow.Responder.Responses);
        _time.Advance(Slow - Fast);
        Assert.Equal(1, slow.Responder.Responses);

        foreach (var f in fast) f.Subscription.Dispose();
        Assert.Equal(1, scheduler.TimerCount);
        slow.Subscription.Dispose();
        Assert.Equal(0, scheduler.TimerCount);
    }

    [Fact]
    public void A_modified_interval_moves_the_subscription_to_that_interval_s_timer()
    {
        var scheduler = new PublishingScheduler(_time);
        var moved = Parked(1, scheduler, Fast);
        moved.Subscription.Configure(Slow, 30, 10);
        Assert.Equal(1, scheduler.TimerCount);

        _time.Advance(Fast);
        Assert.Equal(0, moved.Responder.Responses);
        _time.Advance(Slow - Fast);
        Assert.Equal(1, moved.Responder.Responses);
    }

    [Fact]
    public void A_publish_response_is_sent_after_the_subscription_s_lock_is_released()
    {
        var scheduler = new PublishingScheduler(_time);
        var parked = Parked(1, scheduler, Fast);
        _time.Advance(Fast);
        Assert.Equal(1, parked.Responder.Responses);
        Assert.False(parked.Responder.SentUnderLock);
    }

    [Fact]
    public void A_subscription_that_expires_during_a_tick_leaves_it_and_the_others_go_on()
    {
        var scheduler = new PublishingScheduler(_time);
        var kept = Parked(1, scheduler, Fast);
        // A keep-alive every cycle, so that each of its cycles answers the request parked for it.
        kept.Subscription.Configure(Fast, 30, 1);
        // No Publish request ever: after its lifetime (3 keep-alive periods of one interval) it expires in a tick.
        var queue = new PublishQueue(10, _time);
        var session = new Session(NodeId.Of(2), NodeId.Of(1002), "test", 1, null, TimeSpan.FromMinutes(1), _time.GetUtcNow(), queue);
        var expired = 0;
        var lapsing = new Subscription(2, session, _time, scheduler, 10, 1000, s => { expired++; s.Dispose(); }, (_, _) => { }) { PublishingEnabled = true };
        lapsing.Configure(Fast, 3, 1);

        for (var i = 0; i < 6; i++)
        {
            if (i > 0) QueueFor(kept.Subscription, kept.Responder);
            _time.Advance(Fast);
        }

        Assert.Equal(1, expired);
        Assert.Equal(6, kept.Responder.Responses);
        Assert.Equal(1, scheduler.TimerCount);
        kept.Subscription.Dispose();
        Assert.Equal(0, scheduler.TimerCount);
    }

    [Fact]
    public async Task A_cycle_held_up_by_its_value_source_holds_up_neither_later_ticks_nor_the_other_subscriptions_of_its_interval()
    {
        var scheduler = new PublishingScheduler(_time);
        var slow = Parked(1, scheduler, Fast);
        var other = Parked(2, scheduler, Fast);
        // A keep-alive every cycle, so that each of its cycles answers the request parked for it.
        other.Subscription.Configure(Fast, 30, 1);
        using var armed = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var computed = new UaVariable(NodeId.Of("Computed", 2), new QualifiedName(2, "Computed"), "Computed", NodeId.Of(DataTypeIds.Double))
        {
            // A host's value source that blocks once armed, as one waiting for a device would.
            ValueSource = () =>
            {
                if (armed.IsSet)
                {
                    entered.Set();
                    release.Wait(Within);
                }
                return new DataValue { Value = Variant.From(1.0) };
            },
        };
        var item = new MonitoredItem(1, computed, new ReadValueId { NodeId = computed.NodeId, AttributeId = (uint)AttributeId.Value }, TimestampsToReturn.Both)
        {
            Mode = MonitoringMode.Reporting,
            ClientHandle = 1,
        };
        lock (slow.Subscription.Gate) slow.Subscription.Add(item, computed.Value);
        armed.Set();

        // A cycle of the slow subscription, as a tick runs it, held inside its lock by the value source.
        var held = Task.Run(slow.Subscription.Cycle);
        Assert.True(entered.Wait(Within), "the cycle did not reach the value source");

        // The ticks skip the held subscription and cycle the other one; before, each waited for the held lock.
        await Task.Run(() => _time.Advance(Fast)).WaitAsync(Within);
        Assert.Equal(1, other.Responder.Responses);
        QueueFor(other.Subscription, other.Responder);
        await Task.Run(() => _time.Advance(Fast)).WaitAsync(Within);
        Assert.Equal(2, other.Responder.Responses);

        release.Set();
        await held.WaitAsync(Within);
        Assert.Equal(1, slow.Responder.Responses);
        slow.Subscription.Dispose();
        other.Subscription.Dispose();
    }

    private static void QueueFor(Subscription subscription, RecordingResponder responder) =>
        subscription.Session.PublishRequests.Add(new PendingPublish(new PublishRequest { RequestHeader = new RequestHeader() }, 1, responder, DateTimeOffset.MaxValue, []));

    private (Subscription Subscription, RecordingResponder Responder) Parked(uint id, PublishingScheduler scheduler, TimeSpan interval)
    {
        var queue = new PublishQueue(10, _time);
        var session = new Session(NodeId.Of(id), NodeId.Of(1000 + id), "test", 1, null, TimeSpan.FromMinutes(1), _time.GetUtcNow(), queue);
        var subscription = new Subscription(id, session, _time, scheduler, 10, 1000, _ => { }, (_, _) => { }) { PublishingEnabled = true };
        var responder = new RecordingResponder(subscription);
        queue.Add(new PendingPublish(new PublishRequest { RequestHeader = new RequestHeader() }, id, responder, DateTimeOffset.MaxValue, []));
        subscription.Configure(interval, 30, 10);
        return (subscription, responder);
    }

    private sealed class RecordingResponder(Subscription subscription) : IResponder
    {
        private int _responses;

        public bool IsOpen => true;

        public int Responses => Volatile.Read(ref _responses);

        public bool SentUnderLock { get; private set; }

        public void Respond(uint requestId, IServiceResponse response)
        {
            SentUnderLock |= subscription.Gate.IsHeldByCurrentThread;
            Assert.IsType<PublishResponse>(response);
            Interlocked.Increment(ref _responses);
        }
    }
}
