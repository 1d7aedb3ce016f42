using Microsoft.Extensions.Time.Testing;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Messages;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Sessions;
using ThermalPlant.OpcUa.Server.Subscriptions;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Subscriptions;

/// <summary>
/// The retransmission queue (Part 4, 5.13.1.1) keeps each sent message's notification bodies in arrays rented from the
/// shared pool, returned once the message is acknowledged and its response sent: Republish must still give the exact
/// bytes that were sent, and never bytes of a later message that reused a returned array.
/// </summary>
public sealed class RetransmissionTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly UaVariable _variable = new(NodeId.Of("Temperature", 2), new QualifiedName(2, "Temperature"), "Temperature", NodeId.Of(DataTypeIds.Double));

    [Fact]
    public void Republish_gives_the_bytes_sent_until_acknowledged_and_then_no_more()
    {
        // Sequence number 1 was the initial value's message (acknowledged in Subscribed).
        var (subscription, queue, responder) = Subscribed();
        for (var i = 1; i <= 3; i++)
        {
            Set(i);
            Publish(queue, responder);
        }
        Assert.Equal([2u, 3u, 4u], responder.Sent.Keys.Order());

        foreach (var (sequence, bytes) in responder.Sent) Assert.Equal(bytes, Encode(subscription.Find(sequence)!));
        Assert.Equal(StatusCode.Good, subscription.Acknowledge(3));
        Assert.Null(subscription.Find(3));
        Assert.Equal([2u, 4u], subscription.AvailableSequenceNumbers());
        Assert.Equal(responder.Sent[2], Encode(subscription.Find(2)!));
        Assert.Equal(responder.Sent[4], Encode(subscription.Find(4)!));
        Assert.Equal([1.0], Values(subscription.Find(2)!));
        Assert.Equal([3.0], Values(subscription.Find(4)!));
    }

    [Fact]
    public void A_republished_message_keeps_its_bytes_after_it_is_acknowledged_and_its_arrays_are_reused()
    {
        var (subscription, queue, responder) = Subscribed();
        Set(1);
        Publish(queue, responder);
        var (first, sent) = responder.Sent.Single();
        var republished = subscription.Find(first)!;

        // The acknowledged message's pooled arrays go back to the pool; the next messages, of the same size and made on
        // this thread, rent them again and write other values into them.
        Assert.Equal(StatusCode.Good, subscription.Acknowledge(first));
        for (var i = 1; i <= 5; i++)
        {
            Set(i * 1000);
            Publish(queue, responder);
            Assert.Equal(StatusCode.Good, subscription.Acknowledge(first + (uint)i));
        }

        Assert.Equal(sent, Encode(republished));
        Assert.Equal([1.0], Values(republished));
    }

    [Fact]
    public void A_message_acknowledged_before_its_response_is_sent_is_sent_whole()
    {
        var (subscription, queue, _) = Subscribed();
        // A client may acknowledge a sequence number it has not received yet (they are predictable): the response then
        // still carries the values it was made with, not an array the pool handed out again.
        var racing = new AcknowledgingResponder(subscription);
        Set(42);
        queue.Add(new PendingPublish(new PublishRequest { RequestHeader = new RequestHeader() }, 1, racing, DateTimeOffset.MaxValue, []));
        _time.Advance(Interval);

        Assert.Equal(StatusCode.Good, racing.Acknowledged);
        Assert.Equal([42.0], racing.Values);
        Assert.Empty(subscription.AvailableSequenceNumbers());
    }

    private (Subscription Subscription, PublishQueue Queue, EncodingResponder Responder) Subscribed()
    {
        var scheduler = new PublishingScheduler(_time);
        var queue = new PublishQueue(10, _time);
        var session = new Session(NodeId.Of(1), NodeId.Of(1001), "test", 1, null, TimeSpan.FromMinutes(1), _time.GetUtcNow(), queue);
        var subscription = new Subscription(1, session, _time, scheduler, 10, 1000, _ => { }, (_, _) => { }) { PublishingEnabled = true };
        var item = new MonitoredItem(1, _variable, new ReadValueId { NodeId = _variable.NodeId, AttributeId = (uint)AttributeId.Value }, TimestampsToReturn.Both)
        {
            Mode = MonitoringMode.Reporting,
            ClientHandle = 7,
        };
        _variable.SetValue(new DataValue { Value = Variant.From(0.0), SourceTimestamp = _time.GetUtcNow().UtcDateTime });
        lock (subscription.Gate) subscription.Add(item, _variable.Value);
        subscription.Configure(Interval, 300, 10);
        var responder = new EncodingResponder();
        // The initial value goes out first; its message is acknowledged so that the tests count from the next.
        Publish(queue, responder);
        Assert.Equal(StatusCode.Good, subscription.Acknowledge(responder.Sent.Keys.Single()));
        responder.Sent.Clear();
        return (subscription, queue, responder);
    }

    private void Set(double value) => _variable.SetValue(new DataValue { Value = Variant.From(value), SourceTimestamp = _time.GetUtcNow().UtcDateTime });

    private void Publish(PublishQueue queue, IResponder responder)
    {
        queue.Add(new PendingPublish(new PublishRequest { RequestHeader = new RequestHeader() }, 1, responder, DateTimeOffset.MaxValue, []));
        _time.Advance(Interval);
    }

    private static byte[] Encode(NotificationMessage message)
    {
        using var encoder = new BinaryEncoder();
        message.Encode(encoder);
        return encoder.Written.ToArray();
    }

    private static List<double> Values(NotificationMessage message)
    {
        var values = new List<double>();
        foreach (var body in message.NotificationData!)
        {
            var changes = Assert.IsType<DataChangeNotification>(body.Decode());
            values.AddRange(changes.MonitoredItems!.Select(m => (double)m.Value.Value.Value!));
        }
        return values;
    }

    /// <summary>Encodes each Publish response's message as it is handed over, as the connection does before it returns.</summary>
    private sealed class EncodingResponder : IResponder
    {
        public bool IsOpen => true;

        public Dictionary<uint, byte[]> Sent { get; } = [];

        public void Respond(uint requestId, IServiceResponse response)
        {
            var message = Assert.IsType<PublishResponse>(response).NotificationMessage!;
            if (message.NotificationData is { Length: > 0 }) Sent[message.SequenceNumber] = Encode(message);
        }
    }

    /// <summary>Acknowledges each message, and lets the pool hand its arrays out again, before it reads the response.</summary>
    private sealed class AcknowledgingResponder(Subscription subscription) : IResponder
    {
        public bool IsOpen => true;

        public StatusCode Acknowledged { get; private set; }

        public List<double> Values { get; } = [];

        public void Respond(uint requestId, IServiceResponse response)
        {
            var message = Assert.IsType<PublishResponse>(response).NotificationMessage!;
            Acknowledged = subscription.Acknowledge(message.SequenceNumber);
            // Rent and scribble over what the pool holds for bodies of this size, as another subscription would.
            var rented = Enumerable.Range(0, 8).Select(_ => System.Buffers.ArrayPool<byte>.Shared.Rent(message.NotificationData![0].Body.Length)).ToList();
            foreach (var array in rented) Array.Fill(array, (byte)0xEE);
            Values.AddRange(RetransmissionTests.Values(message));
            foreach (var array in rented) System.Buffers.ArrayPool<byte>.Shared.Return(array);
        }
    }
}
