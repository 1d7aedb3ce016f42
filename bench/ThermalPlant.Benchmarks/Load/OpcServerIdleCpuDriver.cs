using System.Globalization;
using ThermalPlant.OpcUa.Client;

namespace ThermalPlant.Benchmarks.Load;

/// <summary>
/// CPU of the OPC UA server service at idle with subscribed clients (issue 5): first the server alone for
/// <c>--seconds</c> (its polling of the DMZ, the anchor), then <c>--clients</c> sessions, each with one subscription of
/// every variable under Objects/Plant at <c>--publishing-interval</c> (sampling at the publishing interval, the
/// client's default, as a SCADA client monitors), for <c>--seconds</c>. The first window starts after <c>--settle</c>
/// seconds, past the server's start-up and tiered JIT (a method is recompiled after 30 calls, so at a 1 s poll the
/// poll path is still being compiled about 30 s after start), the second <c>--client-settle</c> seconds after the
/// clients subscribed, past their initial values. The server's CPU time is utime + stime from /proc/PID/stat, so this client's own work is
/// not counted. Prints % of one core (goal &lt; 5 %).
/// Usage: <c>opcserver-idle-cpu URL --pid PID [--clients 10] [--seconds 10] [--settle 3] [--client-settle 3] [--publishing-interval 1000]
/// [--poll-interval 1000] [--clock-ticks 100]</c> (the poll interval is the server's setting, given here only to label the figure).
/// </summary>
internal static class OpcServerIdleCpuDriver
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (CpuWindow.Parse(args, publishingMs: 1000) is not { } window)
        {
            await Console.Error.WriteLineAsync("usage: opcserver-idle-cpu URL --pid PID [--clients N] [--seconds N] [--settle N] [--client-settle N] [--publishing-interval MS] [--poll-interval MS] [--clock-ticks N]");
            return 2;
        }
        var (url, clientCount, seconds, settle, publishingMs) = (window.Url, window.Clients, window.Seconds, window.Settle, window.PublishingMs);
        var clientSettle = DriverArgs.Double(args, "--client-settle", 3);
        var pollMs = DriverArgs.Double(args, "--poll-interval", 1000);

        // A server just started is still compiling (tiered JIT); that is not idle.
        await Task.Delay(TimeSpan.FromSeconds(settle));
        var alone = await window.MeasureAsync();

        var clients = new List<OpcUaClient>();
        var subscriptions = new List<OpcUaSubscription>();
        using var stop = new CancellationTokenSource();
        var readers = new List<Task>();
        long changes = 0, bad = 0, refused = 0;
        try
        {
            for (var i = 0; i < clientCount; i++)
            {
                var client = await OpcUaClient.ConnectAsync(url);
                clients.Add(client);
                await client.OpenSessionAsync(string.Create(CultureInfo.InvariantCulture, $"bench-idle-{i}"));
            }
            var variables = await PlantVariables.BrowseAsync(clients[0]);
            foreach (var client in clients)
            {
                var subscription = await client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = publishingMs });
                subscriptions.Add(subscription);
                var items = await subscription.AddAsync([.. variables.Select(v => new MonitoredItemRequest(v.Node))]);
                refused += items.Count(i => !i.Status.IsGood);
                // Each stream is drained as it comes, as a client would; a full buffer would stall the client's publishing.
                readers.Add(DrainAsync(subscription, stop.Token));
            }
            await Task.Delay(TimeSpan.FromSeconds(clientSettle));
            Interlocked.Exchange(ref changes, 0);
            Interlocked.Exchange(ref bad, 0);
            var subscribed = await window.MeasureAsync();
            var delivered = Interlocked.Read(ref changes);

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"opcserver idle CPU (poll {pollMs:F0} ms): {clientCount} sessions x {variables.Count} monitored items at {subscriptions[0].RevisedPublishingInterval:F0} ms publishing, {seconds:F0} s: server {subscribed.CpuSeconds:F2} CPU s = {subscribed.Percent:F2} % of one core (goal < 5 %); the server alone before the clients, same length: {alone.Percent:F2} % ({alone.CpuSeconds:F2} CPU s); {delivered / subscribed.WallSeconds:F0} data changes/s delivered, Bad {Interlocked.Read(ref bad)}, items refused {refused}"));
            return delivered > 0 && refused == 0 ? 0 : 1;
        }
        finally
        {
            foreach (var subscription in subscriptions) await subscription.DisposeAsync();
            await stop.CancelAsync();
            await Task.WhenAll(readers);
            foreach (var client in clients) await client.CloseAsync();
            foreach (var client in clients) await client.DisposeAsync();
        }

        async Task DrainAsync(OpcUaSubscription subscription, CancellationToken cancellationToken)
        {
            try
            {
                await foreach (var change in subscription.ReadAllAsync(cancellationToken))
                {
                    Interlocked.Increment(ref changes);
                    if (!change.Value.Status.IsGood) Interlocked.Increment(ref bad);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
