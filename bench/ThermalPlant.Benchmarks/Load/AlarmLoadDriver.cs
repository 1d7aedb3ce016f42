using System.Globalization;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;
using static ThermalPlant.OpcUa.Client.EventFilters;

namespace ThermalPlant.Benchmarks.Load;

/// <summary>
/// Alarm transitions delivered to subscribed clients (issue 15), against <see cref="AlarmServeDriver"/> in its own
/// process: first the server alone raising its transitions (recorded in its event history, no client: the anchor) for
/// <c>--seconds</c>, then <c>--clients</c> sessions, each with one event item on the Server object with the fields an
/// alarm view selects (UaExpert's BaseEventType fields, the ConditionId, the state Ids, Retain, the limit state,
/// Comment), at <c>--publishing-interval</c>, for <c>--seconds</c> after <c>--settle</c>. The server's CPU time is
/// utime + stime from /proc/PID/stat. Prints % of one core with the clients (goal &lt;= 5 %) and alone, the events each
/// client received per second against the rate, and any EventQueueOverflow events (events lost).
/// Usage: <c>opcua-alarm-load URL --pid PID [--clients 10] [--seconds 10] [--settle 3] [--publishing-interval 100] [--rate 1000] [--clock-ticks 100]</c>
/// (the rate is the server's setting, given here only to state the ratio).
/// </summary>
internal static class AlarmLoadDriver
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (CpuWindow.Parse(args, publishingMs: 100) is not { } window)
        {
            await Console.Error.WriteLineAsync("usage: opcua-alarm-load URL --pid PID [--clients N] [--seconds N] [--settle N] [--publishing-interval MS] [--rate N] [--clock-ticks N]");
            return 2;
        }
        var (url, clientCount, seconds, settle, publishingMs) = (window.Url, window.Clients, window.Seconds, window.Settle, window.PublishingMs);
        var rate = DriverArgs.Double(args, "--rate", 1000);

        await Task.Delay(TimeSpan.FromSeconds(settle));
        var alone = await window.MeasureAsync();

        var filter = Select(
        [
            .. StandardFields.Select(f => Field(f)), ConditionId(),
            Field("ActiveState/Id", ObjectTypeIds.AlarmConditionType), Field("AckedState/Id", ObjectTypeIds.AcknowledgeableConditionType),
            Field("ConfirmedState/Id", ObjectTypeIds.AcknowledgeableConditionType), Field("Retain", ObjectTypeIds.ConditionType),
            Field("LimitState/CurrentState", ObjectTypeIds.ExclusiveLimitAlarmType), Field("Comment", ObjectTypeIds.ConditionType),
        ]);
        var overflowType = NodeId.Of(ObjectTypeIds.EventQueueOverflowEventType);
        var eventTypeField = Array.IndexOf(StandardFields, "EventType");
        var clients = new List<OpcUaClient>();
        var subscriptions = new List<OpcUaSubscription>();
        var received = new long[clientCount];
        long overflows = 0;
        using var stop = new CancellationTokenSource();
        var readers = new List<Task>();
        try
        {
            for (var i = 0; i < clientCount; i++)
            {
                var client = await OpcUaClient.ConnectAsync(url);
                clients.Add(client);
                await client.OpenSessionAsync(string.Create(CultureInfo.InvariantCulture, $"bench-alarms-{i}"));
                var subscription = await client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = publishingMs });
                subscriptions.Add(subscription);
                // A queue of ten publishing intervals' worth, so that a late publish loses nothing.
                var queue = (uint)Math.Max(1000, rate * publishingMs / 100);
                var items = await subscription.AddAsync([MonitoredItemRequest.Events(NodeId.Of(ObjectIds.Server), filter) with { QueueSize = queue }]);
                if (!items[0].Status.IsGood) throw new InvalidOperationException($"the event item was refused: {items[0].Status}");
                var index = i;
                readers.Add(DrainAsync(subscription, index, stop.Token));
            }
            await Task.Delay(TimeSpan.FromSeconds(settle));
            for (var i = 0; i < clientCount; i++) Interlocked.Exchange(ref received[i], 0);
            Interlocked.Exchange(ref overflows, 0);
            var subscribed = await window.MeasureAsync();
            var perClient = received.Select(r => Interlocked.Read(ref r) / subscribed.WallSeconds).ToArray();

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"alarm transitions: {rate:F0}/s to {clientCount} clients at {subscriptions[0].RevisedPublishingInterval:F0} ms publishing, {seconds:F0} s: server {subscribed.CpuSeconds:F2} CPU s = {subscribed.Percent:F2} % of one core (goal <= 5 %), {subscribed.CpuSeconds * 1e6 / (rate * subscribed.WallSeconds):F1} us of CPU per transition; the server alone raising and recording them: {alone.Percent:F2} % ({alone.CpuSeconds:F2} CPU s, {alone.CpuSeconds * 1e6 / (rate * alone.WallSeconds):F1} us per transition); events received per client {perClient.Min():F0} to {perClient.Max():F0}/s ({perClient.Min() / rate:F3} to {perClient.Max() / rate:F3} of the rate), queue overflows {Interlocked.Read(ref overflows)}"));
            // Half the rate at least, so that a one-second smoke window, a publish or two off, still passes while a broken delivery does not.
            return perClient.Min() >= rate * 0.5 && Interlocked.Read(ref overflows) == 0 ? 0 : 1;
        }
        finally
        {
            foreach (var subscription in subscriptions) await subscription.DisposeAsync();
            await stop.CancelAsync();
            await Task.WhenAll(readers);
            foreach (var client in clients) await client.CloseAsync();
            foreach (var client in clients) await client.DisposeAsync();
        }

        async Task DrainAsync(OpcUaSubscription subscription, int index, CancellationToken cancellationToken)
        {
            try
            {
                await foreach (var e in subscription.ReadEventsAsync(cancellationToken))
                {
                    if (overflowType.Equals(e.Fields[eventTypeField].Value)) Interlocked.Increment(ref overflows);
                    else Interlocked.Increment(ref received[index]);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
