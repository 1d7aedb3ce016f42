using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Messages;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Sessions;
using ThermalPlant.OpcUa.Server.Subscriptions;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Subscriptions;

/// <summary>
/// A Publish request arrives on its connection's read loop, a socket thread other connections share (issue 17): a late
/// subscription's message (milliseconds to build at 100,000 items) is built on the thread pool, a busy subscription
/// lock is not waited for there, and the responses keep their order, sequence numbers and acknowledgements.
/// </summary>
public sealed class LatePublishTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly PublishQueue _queue;
    private readonly Session _session;

    public LatePublishTests()
    {
        _queue = new PublishQueue(10, _time);
        _session = new Session(NodeId.Of(1), NodeId.Of(1001), "test", 1, null, TimeSpan.FromMinutes(1), _time.GetUtcNow(), _queue);
    }

    [Fact]
    public async Task A_late_subscription_builds_its_message_after_the_Publish_request_s_thread_returned()
    {
        var (subscription, _) = Late(3);
        var responder = new HeldResponder();

        Park(responder);
        subscription.OnPublishRequest();
        responder.Returned.Set();

        var response = await responder.Next();
        Assert.False(responder.CalledBeforeReturn, "the message was built and answered on the thread that brought the Publish request");
        Assert.Equal(1u, response.NotificationMessage!.SequenceNumber);
        Assert.Equal([0.0, 1.0, 2.0], Values(response));
        Assert.False(response.MoreNotifications);
    }

    [Fact]
    public async Task A_Publish_arriving_while_the_subscription_s_lock_is_held_is_answered_once_the_lock_is_free()
    {
        var (subscription, _) = Late(2);
        var responder = new HeldResponder();
        responder.Returned.Set();

        using (HoldLock(subscription))
        {
            // As a publishing cycle holds it: the request's thread must go on at once.
            Park(responder);
            await Task.Run(subscription.OnPublishRequest).WaitAsync(Within);
            Assert.Equal(0, responder.Count);
        }

        var response = await responder.Next();
        Assert.Equal(1u, response.NotificationMessage!.SequenceNumber);
        Assert.Equal([0.0, 1.0], Values(response));
    }

    [Fact]
    public async Task Late_responses_keep_their_order_and_sequence_numbers_and_a_late_keep_alive_does_not_use_one()
    {
        var (subscription, variables) = Late(5, maxPerPublish: 2);
        var responder = new HeldResponder();
        responder.Returned.Set();

        // A burst: one work item answers all three, each with the next notifications.
        for (var i = 0; i < 3; i++)
        {
            Park(responder);
            subscription.OnPublishRequest();
        }
        var responses = new[] { await responder.Next(), await responder.Next(), await responder.Next() };

        Assert.Equal([1u, 2u, 3u], responses.Select(r => r.NotificationMessage!.SequenceNumber));
        Assert.Equal([true, true, false], responses.Select(r => r.MoreNotifications));
        Assert.Equal([0.0, 1.0, 2.0, 3.0, 4.0], responses.SelectMany(Values).Order());
        Assert.Equal([1u, 2u, 3u], responses[2].AvailableSequenceNumbers!);

        Assert.Equal(StatusCode.Good, subscription.Acknowledge(1));
        Assert.Equal(StatusCode.Good, subscription.Acknowledge(2));
        Assert.Equal(StatusCodes.BadSequenceNumberUnknown, subscription.Acknowledge(2));
        Assert.Equal([3u], subscription.AvailableSequenceNumbers());

        // Quiet until a keep-alive is due and no request is parked: late again, with nothing to send.
        for (var i = 0; i < 10; i++) _time.Advance(Interval);
        Park(responder);
        subscription.OnPublishRequest();
        var keepAlive = await responder.Next();
        Assert.Empty(keepAlive.NotificationMessage!.NotificationData!);
        Assert.Equal(4u, keepAlive.NotificationMessage.SequenceNumber);
        Assert.Equal([3u], keepAlive.AvailableSequenceNumbers!);

        // The keep-alive gave the next sequence number without using it: the next message has it.
        Set(variables[0], 42);
        Park(responder);
        _time.Advance(Interval);
        var next = await responder.Next();
        Assert.Equal(4u, next.NotificationMessage!.SequenceNumber);
        Assert.Equal([42.0], Values(next));
    }

    [Fact]
    public async Task Acknowledgements_Republish_and_deletion_do_not_wait_for_the_subscription_s_lock()
    {
        var (subscription, _) = Late(1);
        var responder = new HeldResponder();
        responder.Returned.Set();
        Park(responder);
        _time.Advance(Interval);
        Assert.Equal(1u, (await responder.Next()).NotificationMessage!.SequenceNumber);

        using (HoldLock(subscription))
        {
            // Each would wait for the lock's holder, a publishing cycle here, and time out.
            await Task.Run(() =>
            {
                Assert.NotNull(subscription.Find(1));
                Assert.Equal([1u], subscription.AvailableSequenceNumbers());
                Assert.Equal(StatusCode.Good, subscription.Acknowledge(1));
                Assert.Null(subscription.Find(1));
                Assert.Equal(1, subscription.ItemCount);
                subscription.Dispose();
            }).WaitAsync(Within);
        }

        // Disposed once the lock was free.
        var deadline = DateTime.UtcNow + Within;
        while (subscription.ItemCount != 0 && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.Equal(0, subscription.ItemCount);
    }

    /// <summary>A subscription with <paramref name="count"/> items holding a value each and no Publish request parked at its first cycle: late.</summary>
    private (Subscription Subscription, UaVariable[] Variables) Late(int count, uint maxPerPublish = 0)
    {
        var scheduler = new PublishingScheduler(_time);
        var subscription = new Subscription(1, _session, _time, scheduler, 10, 1000, _ => { }, (_, _) => { }) { PublishingEnabled = true, MaxNotificationsPerPublish = maxPerPublish };
        var variables = new UaVariable[count];
        for (var i = 0; i < count; i++)
        {
            var variable = variables[i] = new UaVariable(NodeId.Of($"V{i}", 2), new QualifiedName(2, $"V{i}"), $"V{i}", NodeId.Of(DataTypeIds.Double));
            Set(variable, i);
            var item = new MonitoredItem((uint)i + 1, variable, new ReadValueId { NodeId = variable.NodeId, AttributeId = (uint)AttributeId.Value }, TimestampsToReturn.Both)
            {
                Mode = MonitoringMode.Reporting,
                ClientHandle = (uint)i,
            };
            lock (subscription.Gate) subscription.Add(item, variable.Value);
        }
        subscription.Configure(Interval, 300, 10);
        _time.Advance(Interval);
        return (subscription, variables);
    }

    /// <summary>Holds the subscription's lock on a thread of its own, as a publishing cycle does, until disposed.</summary>
    private static LockHolder HoldLock(Subscription subscription) => new(subscription.Gate);

    private void Set(UaVariable variable, double value) => variable.SetValue(new DataValue { Value = Variant.From(value), SourceTimestamp = _time.GetUtcNow().UtcDateTime });

    private void Park(IResponder responder) =>
        _queue.Add(new PendingPublish(new PublishRequest { RequestHeader = new RequestHeader() }, 1, responder, DateTimeOffset.MaxValue, []));

    private static List<double> Values(PublishResponse response)
    {
        var values = new List<double>();
        foreach (var body in response.NotificationMessage!.NotificationData!)
        {
            var changes = Assert.IsType<DataChangeNotification>(body.Decode());
            values.AddRange(changes.MonitoredItems!.Select(m => (double)m.Value.Value.Value!));
        }
        return values;
    }

    private sealed class LockHolder : IDisposable
    {
        private readonly ManualResetEventSlim _release = new();
        private readonly Thread _thread;

        public LockHolder(Lock gate)
        {
            using var held = new ManualResetEventSlim();
            _thread = new Thread(() =>
            {
                lock (gate)
                {
                    held.Set();
                    _release.Wait();
                }
            });
            _thread.Start();
            held.Wait();
        }

        public void Dispose()
        {
            _release.Set();
            _thread.Join();
            _release.Dispose();
        }
    }

    /// <summary>
    /// Takes responses in the order given, each decoded at once (its bodies go back to the pool after); the first waits
    /// until the test says the thread that brought the request returned, and notes when that wait ran out.
    /// </summary>
    private sealed class HeldResponder : IResponder
    {
        private readonly ConcurrentQueue<PublishResponse> _responses = new();
        private readonly SemaphoreSlim _arrived = new(0);

        public ManualResetEventSlim Returned { get; } = new();

        public bool CalledBeforeReturn { get; private set; }

        public bool IsOpen => true;

        public int Count => _responses.Count;

        public void Respond(uint requestId, IServiceResponse response)
        {
            // On the thread that brought the request, this wait runs out: that thread cannot say it returned.
            if (!Returned.Wait(TimeSpan.FromSeconds(3))) CalledBeforeReturn = true;
            var publish = Assert.IsType<PublishResponse>(response);
            // A copy that no longer reads the pooled bodies.
            var message = publish.NotificationMessage!;
            publish.NotificationMessage = new NotificationMessage
            {
                SequenceNumber = message.SequenceNumber,
                PublishTime = message.PublishTime,
                NotificationData = [.. message.NotificationData!.Select(b => b with { Body = b.Body.ToArray() })],
            };
            _responses.Enqueue(publish);
            _arrived.Release();
        }

        public async Task<PublishResponse> Next()
        {
            Assert.True(await _arrived.WaitAsync(Within), "no Publish response came");
            Assert.True(_responses.TryDequeue(out var response));
            return response;
        }
    }
}
