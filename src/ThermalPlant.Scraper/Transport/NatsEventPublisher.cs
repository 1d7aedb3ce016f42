using System.Buffers;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using ThermalPlant.Nats;
using ThermalPlant.Scraper.Events;
using ThermalPlant.Scraper.Supervision;
using ThermalPlant.Storage.Events;

namespace ThermalPlant.Scraper.Transport;

/// <summary>
/// Events over NATS: takes the <see cref="EventQueue"/>'s batches in order and publishes them on the site's events
/// subject (<c>{EventSubjectPrefix}.{site}</c>), as <see cref="EventBatchCodec"/> messages of at most
/// <see cref="MaxMessageBytes"/>, each with a <c>Nats-Msg-Id</c> from its bytes. A batch leaves the queue (memory or
/// spill file) only once JetStream acknowledged every message of it; the storage writers put the events into the
/// <c>events</c> table, where (endpoint, event id, time) is stored once. The newest acknowledged event time per
/// endpoint is where an event back-fill starts after a restart (<see cref="PublishedTimestamps"/>).
/// </summary>
internal sealed partial class NatsEventPublisher(
    EventQueue queue,
    PublishedTimestamps published,
    SourceHealth health,
    IOptions<ScraperOptions> options,
    TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    /// <summary>The link's name in /health/ready.</summary>
    public const string HealthName = "nats events";

    /// <summary>The largest message made (NATS refuses payloads over its max_payload, 1 MB by default); one event always fits.</summary>
    public const int MaxMessageBytes = 512 * 1024;

    private const int MaxEventsPerMessage = 500;

    private readonly NatsTransportOptions _nats = options.Value.Nats;
    private readonly EventStorageOptions _events = options.Value.Events;
    private readonly ILogger _logger = loggers.CreateLogger<NatsEventPublisher>();
    private readonly StreamCoverage _coverage = new(options.Value.Nats, SampleSubjects.Events(options.Value.Nats.EventSubjectPrefix, options.Value.Nats.Site),
        $"the events of site {options.Value.Nats.Site}", time);

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // What was not published goes to disk; a crash skips this, and the event back-fill covers that.
        queue.SpillMemory();
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var connection = _nats.Connect($"thermalplant-scraper-events {_nats.Site}", loggers);
        var js = new NatsJSContext(connection);
        try
        {
            await PublishLoopAsync(js, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task PublishLoopAsync(NatsJSContext js, CancellationToken cancellationToken)
    {
        var subject = SampleSubjects.Events(_nats.EventSubjectPrefix, _nats.Site);
        var backoff = new Backoff(_nats.RetryMinDelay, _nats.RetryMaxDelay);
        string? outage = null;
        while (true)
        {
            await queue.WaitForBatchAsync(_events.BatchSize, _events.BatchDelay, time, cancellationToken);
            var batch = queue.Take(_events.BatchSize);
            if (batch is null) continue;
            var messages = Encode(batch.Items);
            var next = 0;
            while (next < messages.Count)
            {
                try
                {
                    await _coverage.EnsureAsync(js, cancellationToken);
                    for (; next < messages.Count; next++) await PublishAsync(js, subject, messages[next], cancellationToken);
                    if (outage is not null)
                    {
                        LogPublishingAgain(_logger, outage, queue.Depth);
                        outage = null;
                    }
                    health.Report(HealthName, true);
                    backoff.Reset();
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is NatsException or TimeoutException or OperationCanceledException or InvalidOperationException)
                {
                    var problem = ex switch
                    {
                        NatsJSApiException api => $"JetStream refused the message: {api.Error.Description} (code {api.Error.ErrCode})",
                        OperationCanceledException or TimeoutException => $"no acknowledgement within {_nats.RequestTimeout.TotalSeconds} s",
                        _ => ex.Message,
                    };
                    var delay = backoff.Next();
                    if (outage != problem) LogPublishFailed(_logger, batch.Items.Count, problem, delay.TotalSeconds);
                    outage = problem;
                    health.Report(HealthName, false, problem);
                    await Task.Delay(delay, time, cancellationToken);
                }
            }
            published.ObserveEvents(batch.Items);
            queue.Commit(batch);
            NatsPublishMetrics.Events.Inc(batch.Items.Count);
        }
    }

    private async Task PublishAsync(NatsJSContext js, string subject, (byte[] Bytes, string Id) message, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_nats.RequestTimeout);
        var ack = await js.PublishAsync(subject, message.Bytes, opts: new NatsJSPubOpts { MsgId = message.Id }, cancellationToken: timeout.Token);
        ack.EnsureSuccess();
    }

    /// <summary>The events in order, in messages of at most <see cref="MaxEventsPerMessage"/> events and <see cref="MaxMessageBytes"/> bytes.</summary>
    private static List<(byte[] Bytes, string Id)> Encode(List<StoredEvent> events)
    {
        var messages = new List<(byte[], string)>();
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        for (var start = 0; start < events.Count;)
        {
            var take = Math.Min(MaxEventsPerMessage, events.Count - start);
            while (true)
            {
                buffer.ResetWrittenCount();
                EventBatchCodec.Encode(events.GetRange(start, take), buffer);
                if (buffer.WrittenCount <= MaxMessageBytes || take == 1) break;
                take /= 2;
            }
            var bytes = buffer.WrittenSpan.ToArray();
            messages.Add((bytes, SampleBatchCodec.MessageId(bytes)));
            start += take;
        }
        return messages;
    }

    [LoggerMessage(EventId = 653, Level = LogLevel.Warning, Message = "Publishing a batch of {Count} events to NATS failed: {Problem}. The batch stays queued (spilling to disk once memory is full) and is re-sent in {DelaySeconds:F1} s")]
    private static partial void LogPublishFailed(ILogger logger, int count, string problem, double delaySeconds);

    [LoggerMessage(EventId = 654, Level = LogLevel.Information, Message = "NATS acknowledges events again after: {Problem}. {Depth} events wait and are published in order")]
    private static partial void LogPublishingAgain(ILogger logger, string problem, long depth);
}
