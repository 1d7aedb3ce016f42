using System.Diagnostics;
using System.Runtime.ExceptionServices;
using NATS.Client.Core;
using NATS.Client.JetStream;
using ThermalPlant.Scraper.Delivery;
using ThermalPlant.Scraper.Supervision;

namespace ThermalPlant.Scraper.Transport;

/// <summary>One message to JetStream, with the <c>Nats-Msg-Id</c> derived from its bytes.</summary>
internal sealed record NatsMessage(string Subject, byte[] Bytes, string Id);

/// <summary>How many messages may await their acknowledgement at once, and whether each is counted in <see cref="NatsPublishMetrics"/>.</summary>
/// <param name="MaxInFlight">At least 1; 1 publishes one message after the other.</param>
/// <param name="CountMessages">Count each message's acknowledgement, duplicate, refusal or failure.</param>
internal readonly record struct PublishWindow(int MaxInFlight, bool CountMessages);

/// <summary>
/// What the sample and the event publishers share: taking one <see cref="SpillQueue{T}"/>'s batches in order and
/// publishing each as messages to JetStream. A batch leaves the queue (memory or spill file) only once JetStream
/// acknowledged every message of it; until then the messages not acknowledged are re-sent with backoff (the same
/// bytes, so the stream keeps one copy of a message it already holds), and nothing is published while no consumer of
/// the stream takes the subject (<see cref="StreamCoverage"/>). At a graceful stop what waits in memory moves to the
/// spill file. The subclass says how a batch is encoded, counted and logged.
/// </summary>
/// <typeparam name="T">The item queued.</typeparam>
internal abstract class NatsQueuePublisher<T>(
    SpillQueue<T> queue,
    SourceHealth health,
    string healthName,
    NatsTransportOptions nats,
    StreamCoverage coverage,
    PublishWindow window,
    TimeProvider time) : BackgroundService
{
    /// <summary>The link states /health/ready shows.</summary>
    protected SourceHealth Health { get; } = health;

    /// <summary>The link's options.</summary>
    protected NatsTransportOptions Nats { get; } = nats;

    /// <summary>The clock of the waits and timers.</summary>
    protected TimeProvider Time { get; } = time;

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // What was not published goes to disk; a crash skips this, and the back-fill covers that.
        queue.SpillMemory();
    }

    /// <summary>
    /// Publishes batches of at most <paramref name="batchSize"/> items (waiting up to <paramref name="batchDelay"/> for
    /// one to fill) until cancelled.
    /// </summary>
    protected async Task PublishLoopAsync(NatsJSContext js, int batchSize, TimeSpan batchDelay, CancellationToken cancellationToken)
    {
        var backoff = new Backoff(Nats.RetryMinDelay, Nats.RetryMaxDelay);
        string? outage = null;
        while (true)
        {
            var batch = await queue.TakeBatchAsync(batchSize, batchDelay, Time, cancellationToken);
            var started = Stopwatch.GetTimestamp();
            var messages = Encode(batch.Items);
            var acknowledged = new bool[messages.Count];
            var left = messages.Count;
            while (left > 0)
            {
                try
                {
                    await coverage.EnsureAsync(js, cancellationToken);
                    left = await PublishWindowedAsync(js, messages, acknowledged, cancellationToken);
                    if (outage is not null)
                    {
                        OnPublishingAgain(outage, queue.Depth);
                        outage = null;
                    }
                    Health.Report(healthName, true);
                    backoff.Reset();
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested && IsPublishFailure(ex))
                {
                    left = acknowledged.Count(a => !a);
                    var problem = Describe(ex);
                    var delay = backoff.Next();
                    if (outage != problem) OnPublishFailed(batch.Items.Count, left, problem, delay);
                    outage = problem;
                    Health.Report(healthName, false, problem);
                    await Task.Delay(delay, Time, cancellationToken);
                }
            }
            OnPublished(batch.Items, Stopwatch.GetElapsedTime(started));
            queue.Commit(batch);
        }
    }

    /// <summary>The batch's messages, in the order they are to be stored.</summary>
    protected abstract List<NatsMessage> Encode(List<T> items);

    /// <summary>JetStream acknowledged every message of the batch of <paramref name="items"/>; it leaves the queue next.</summary>
    protected abstract void OnPublished(List<T> items, TimeSpan elapsed);

    /// <summary>Publishing failed with a problem other than the last one; <paramref name="left"/> messages are re-sent after <paramref name="delay"/>.</summary>
    protected abstract void OnPublishFailed(int count, int left, string problem, TimeSpan delay);

    /// <summary>JetStream acknowledges again after an outage whose last problem was <paramref name="problem"/>; <paramref name="depth"/> items wait.</summary>
    protected abstract void OnPublishingAgain(string problem, long depth);

    private static bool IsPublishFailure(Exception ex) => ex is NatsException or TimeoutException or OperationCanceledException or InvalidOperationException;

    /// <summary>
    /// Publishes the messages not yet acknowledged with up to <see cref="PublishWindow.MaxInFlight"/> awaiting their
    /// acknowledgement at once (a round trip per window, not per message), marking each acknowledged one. After a
    /// failure nothing new is sent, the publishes under way are awaited (what they got acknowledged stays marked), and
    /// the first failure is thrown; returns 0 once every message is acknowledged.
    /// </summary>
    private async Task<int> PublishWindowedAsync(NatsJSContext js, List<NatsMessage> messages, bool[] acknowledged, CancellationToken cancellationToken)
    {
        var inFlight = new Queue<(int Index, Task Publish)>(window.MaxInFlight);
        Exception? failure = null;
        for (var i = 0; i < messages.Count && failure is null; i++)
        {
            if (acknowledged[i]) continue;
            if (inFlight.Count == window.MaxInFlight) failure = await CompleteAsync(inFlight.Dequeue(), acknowledged);
            if (failure is null) inFlight.Enqueue((i, PublishAsync(js, messages[i], cancellationToken)));
        }
        while (inFlight.Count > 0)
        {
            var result = await CompleteAsync(inFlight.Dequeue(), acknowledged);
            failure ??= result;
        }
        if (failure is not null) ExceptionDispatchInfo.Throw(failure);
        return 0;
    }

    /// <summary>Awaits one publish; marks it acknowledged, or returns its failure.</summary>
    private static async Task<Exception?> CompleteAsync((int Index, Task Publish) publish, bool[] acknowledged)
    {
        try
        {
            await publish.Publish;
            acknowledged[publish.Index] = true;
            return null;
        }
        catch (Exception ex) when (IsPublishFailure(ex))
        {
            return ex;
        }
    }

    private async Task PublishAsync(NatsJSContext js, NatsMessage message, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Nats.RequestTimeout);
        try
        {
            var ack = await js.PublishAsync(message.Subject, message.Bytes, opts: new NatsJSPubOpts { MsgId = message.Id }, cancellationToken: timeout.Token);
            ack.EnsureSuccess();
            if (!window.CountMessages) return;
            NatsPublishMetrics.Messages.Inc();
            NatsPublishMetrics.MessageBytes.Observe(message.Bytes.Length);
            if (ack.Duplicate) NatsPublishMetrics.Duplicates.Inc();
        }
        catch (NatsJSApiException ex) when (window.CountMessages)
        {
            NatsPublishMetrics.Refused.WithLabels(ex.Error.ErrCode.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
            throw;
        }
        catch (Exception ex) when (window.CountMessages && !cancellationToken.IsCancellationRequested && ex is NatsException or TimeoutException or OperationCanceledException)
        {
            NatsPublishMetrics.Failures.Inc();
            throw;
        }
    }

    private string Describe(Exception ex) => ex switch
    {
        NatsJSApiException api => $"JetStream refused the message: {api.Error.Description} (code {api.Error.ErrCode})",
        OperationCanceledException or TimeoutException => $"no acknowledgement within {Nats.RequestTimeout.TotalSeconds} s",
        _ => ex.Message,
    };
}
