using System.Buffers;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using ThermalPlant.Nats;
using ThermalPlant.Scraper.Delivery;
using ThermalPlant.Scraper.Supervision;
using ThermalPlant.Storage.Writing;

namespace ThermalPlant.Scraper.Transport;

/// <summary>
/// The NATS transport: takes the queue's batches in order, as the direct writer does, and publishes each as compact
/// messages (one per endpoint and sensor, <see cref="SampleBatchCodec"/>) to the JetStream stream, each with a
/// <c>Nats-Msg-Id</c> derived from its bytes. Up to <see cref="NatsTransportOptions.MaxInFlight"/> messages await their
/// acknowledgement at once. A batch leaves the queue (memory or spill file) only once JetStream acknowledged every
/// message of it; until then the messages not acknowledged are re-sent with backoff, and the stream keeps one copy of
/// a message it already holds. Nothing is published while no consumer of the stream takes this site:
/// the stream keeps messages for its consumers only (interest retention), so it would drop them.
/// </summary>
internal sealed partial class NatsPublisher(
    SampleQueue queue,
    PublishedTimestamps published,
    StorageState state,
    SourceHealth health,
    IOptions<ScraperOptions> options,
    TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    /// <summary>The link's name in /health/ready.</summary>
    public const string HealthName = "nats";

    private readonly NatsTransportOptions _nats = options.Value.Nats;
    private readonly StorageOptions _storage = options.Value.Storage;
    private readonly ILogger _logger = loggers.CreateLogger<NatsPublisher>();
    private readonly StreamCoverage _coverage = new(options.Value.Nats, SampleSubjects.For(options.Value.Nats.SubjectPrefix, options.Value.Nats.Site, "probe"),
        $"site {options.Value.Nats.Site}", time);

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        queue.SpillMemory();
        published.Save();
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // No schema to wait for here: the back-fill reads the local published times, so sources may look them up at
        // once, and readiness depends on the link alone (Degraded, naming it, until JetStream acknowledges).
        state.SetMigrated();
        health.MarkMigrated();
        health.Report(HealthName, false, "connecting");
        await using var connection = _nats.Connect($"thermalplant-scraper {_nats.Site}", loggers);
        // JetStream requests time out after the connection's RequestTimeout, which NatsLinkOptions sets.
        var js = new NatsJSContext(connection);
        var checkpoints = CheckpointAsync(stoppingToken);
        try
        {
            await PublishLoopAsync(js, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await checkpoints;
    }

    private async Task CheckpointAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_nats.CheckpointInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    published.Save();
                }
                catch (IOException ex)
                {
                    LogCheckpointFailed(_logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task PublishLoopAsync(NatsJSContext js, CancellationToken cancellationToken)
    {
        var backoff = new Backoff(_nats.RetryMinDelay, _nats.RetryMaxDelay);
        string? outage = null;
        while (true)
        {
            await queue.WaitForBatchAsync(_storage.BatchSize, _storage.BatchDelay, time, cancellationToken);
            var batch = queue.Take(_storage.BatchSize);
            if (batch is null) continue;
            var started = Stopwatch.GetTimestamp();
            var messages = Encode(batch.Items);
            var acknowledged = new bool[messages.Count];
            var left = messages.Count;
            while (left > 0)
            {
                try
                {
                    await _coverage.EnsureAsync(js, cancellationToken);
                    left = await PublishWindowedAsync(js, messages, acknowledged, cancellationToken);
                    if (outage is not null)
                    {
                        LogPublishingAgain(_logger, outage, queue.Depth);
                        outage = null;
                    }
                    health.Report(HealthName, true);
                    backoff.Reset();
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested && IsPublishFailure(ex))
                {
                    left = acknowledged.Count(a => !a);
                    var problem = Describe(ex);
                    var delay = backoff.Next();
                    if (outage is null || outage != problem) LogPublishFailed(_logger, batch.Items.Count, left, problem, delay.TotalSeconds);
                    outage = problem;
                    health.Report(HealthName, false, problem);
                    await Task.Delay(delay, time, cancellationToken);
                }
            }
            published.Observe(batch.Items);
            queue.Commit(batch);
            NatsPublishMetrics.Samples.Inc(batch.Items.Count);
            NatsPublishMetrics.BatchSeconds.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private static bool IsPublishFailure(Exception ex) => ex is NatsException or TimeoutException or OperationCanceledException or InvalidOperationException;

    /// <summary>
    /// Publishes the messages not yet acknowledged with up to <see cref="NatsTransportOptions.MaxInFlight"/> awaiting
    /// their acknowledgement at once (a round trip per window, not per message), marking each acknowledged one. After a
    /// failure nothing new is sent, the publishes under way are awaited (what they got acknowledged stays marked), and
    /// the first failure is thrown; returns 0 once every message is acknowledged.
    /// </summary>
    private async Task<int> PublishWindowedAsync(NatsJSContext js, List<Message> messages, bool[] acknowledged, CancellationToken cancellationToken)
    {
        var inFlight = new Queue<(int Index, Task Publish)>(_nats.MaxInFlight);
        Exception? failure = null;
        for (var i = 0; i < messages.Count && failure is null; i++)
        {
            if (acknowledged[i]) continue;
            if (inFlight.Count == _nats.MaxInFlight) failure = await CompleteAsync(inFlight.Dequeue(), acknowledged);
            if (failure is null) inFlight.Enqueue((i, PublishAsync(js, messages[i], cancellationToken)));
        }
        while (inFlight.Count > 0)
        {
            var result = await CompleteAsync(inFlight.Dequeue(), acknowledged);
            failure ??= result;
        }
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
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

    private async Task PublishAsync(NatsJSContext js, Message message, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_nats.RequestTimeout);
        try
        {
            var ack = await js.PublishAsync(message.Subject, message.Bytes, opts: new NatsJSPubOpts { MsgId = message.Id }, cancellationToken: timeout.Token);
            ack.EnsureSuccess();
            NatsPublishMetrics.Messages.Inc();
            NatsPublishMetrics.MessageBytes.Observe(message.Bytes.Length);
            if (ack.Duplicate) NatsPublishMetrics.Duplicates.Inc();
        }
        catch (NatsJSApiException ex)
        {
            NatsPublishMetrics.Refused.WithLabels(ex.Error.ErrCode.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
            throw;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is NatsException or TimeoutException or OperationCanceledException)
        {
            NatsPublishMetrics.Failures.Inc();
            throw;
        }
    }

    /// <summary>One message per endpoint and sensor (in order of first appearance, samples in queue order), split at <see cref="NatsTransportOptions.MaxSamplesPerMessage"/>.</summary>
    private List<Message> Encode(List<Sample> samples)
    {
        var groups = new Dictionary<(string Endpoint, string Sensor), List<Sample>>();
        var order = new List<(string, string)>();
        foreach (var sample in samples)
        {
            var key = (sample.Tag.Endpoint, sample.Tag.SensorName);
            if (!groups.TryGetValue(key, out var group))
            {
                groups[key] = group = [];
                order.Add(key);
            }
            group.Add(sample);
        }
        var messages = new List<Message>();
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        foreach (var key in order)
        {
            var group = groups[key];
            var subject = SampleSubjects.For(_nats.SubjectPrefix, _nats.Site, key.Item2);
            for (var start = 0; start < group.Count; start += _nats.MaxSamplesPerMessage)
            {
                buffer.ResetWrittenCount();
                var chunk = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(group).Slice(start, Math.Min(_nats.MaxSamplesPerMessage, group.Count - start));
                SampleBatchCodec.Encode(key.Item1, chunk, buffer);
                var bytes = buffer.WrittenSpan.ToArray();
                messages.Add(new Message(subject, bytes, SampleBatchCodec.MessageId(bytes)));
            }
        }
        return messages;
    }

    private string Describe(Exception ex) => ex switch
    {
        NatsJSApiException api => $"JetStream refused the message: {api.Error.Description} (code {api.Error.ErrCode})",
        OperationCanceledException or TimeoutException => $"no acknowledgement within {_nats.RequestTimeout.TotalSeconds} s",
        _ => ex.Message,
    };

    private sealed record Message(string Subject, byte[] Bytes, string Id);

    [LoggerMessage(EventId = 650, Level = LogLevel.Warning, Message = "Publishing a batch of {Count} samples ({Left} messages left) to NATS failed: {Problem}. The batch stays queued (spilling to disk once memory is full) and the same messages are re-sent in {DelaySeconds:F1} s")]
    private static partial void LogPublishFailed(ILogger logger, int count, int left, string problem, double delaySeconds);

    [LoggerMessage(EventId = 651, Level = LogLevel.Information, Message = "NATS acknowledges publishes again after: {Problem}. {Depth} samples wait and are published in order")]
    private static partial void LogPublishingAgain(ILogger logger, string problem, long depth);

    [LoggerMessage(EventId = 652, Level = LogLevel.Warning, Message = "Saving the published timestamps failed: {Problem}; retried at the next checkpoint")]
    private static partial void LogCheckpointFailed(ILogger logger, string problem);
}
