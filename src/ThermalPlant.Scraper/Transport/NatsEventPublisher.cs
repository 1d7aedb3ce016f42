using System.Buffers;
using Microsoft.Extensions.Options;
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
    ILoggerFactory loggers) : NatsQueuePublisher<StoredEvent>(
        queue,
        health,
        HealthName,
        options.Value.Nats,
        new StreamCoverage(options.Value.Nats, SampleSubjects.Events(options.Value.Nats.EventSubjectPrefix, options.Value.Nats.Site), $"the events of site {options.Value.Nats.Site}", time),
        // One message after the other; each message is counted with its batch only (thermalplant_scraper_nats_published_events_total).
        new PublishWindow(MaxInFlight: 1, CountMessages: false),
        time)
{
    /// <summary>The link's name in /health/ready.</summary>
    public const string HealthName = "nats events";

    /// <summary>The largest message made (NATS refuses payloads over its max_payload, 1 MB by default); one event always fits.</summary>
    public const int MaxMessageBytes = 512 * 1024;

    private const int MaxEventsPerMessage = 500;

    private readonly EventStorageOptions _events = options.Value.Events;
    private readonly string _subject = SampleSubjects.Events(options.Value.Nats.EventSubjectPrefix, options.Value.Nats.Site);
    private readonly ILogger _logger = loggers.CreateLogger<NatsEventPublisher>();

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var connection = Nats.Connect($"thermalplant-scraper-events {Nats.Site}", loggers);
        var js = new NatsJSContext(connection);
        try
        {
            await PublishLoopAsync(js, _events.BatchSize, _events.BatchDelay, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <inheritdoc />
    protected override void OnPublished(List<StoredEvent> items, TimeSpan elapsed)
    {
        published.ObserveEvents(items);
        NatsPublishMetrics.Events.Inc(items.Count);
    }

    /// <inheritdoc />
    protected override void OnPublishFailed(int count, int left, string problem, TimeSpan delay) => LogPublishFailed(_logger, count, problem, delay.TotalSeconds);

    /// <inheritdoc />
    protected override void OnPublishingAgain(string problem, long depth) => LogPublishingAgain(_logger, problem, depth);

    /// <summary>The events in order, in messages of at most <see cref="MaxEventsPerMessage"/> events and <see cref="MaxMessageBytes"/> bytes.</summary>
    protected override List<NatsMessage> Encode(List<StoredEvent> items)
    {
        var messages = new List<NatsMessage>();
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        for (var start = 0; start < items.Count;)
        {
            var take = Math.Min(MaxEventsPerMessage, items.Count - start);
            while (true)
            {
                buffer.ResetWrittenCount();
                EventBatchCodec.Encode(items.GetRange(start, take), buffer);
                if (buffer.WrittenCount <= MaxMessageBytes || take == 1) break;
                take /= 2;
            }
            var bytes = buffer.WrittenSpan.ToArray();
            messages.Add(new NatsMessage(_subject, bytes, SampleBatchCodec.MessageId(bytes)));
            start += take;
        }
        return messages;
    }

    [LoggerMessage(EventId = 653, Level = LogLevel.Warning, Message = "Publishing a batch of {Count} events to NATS failed: {Problem}. The batch stays queued (spilling to disk once memory is full) and is re-sent in {DelaySeconds:F1} s")]
    private static partial void LogPublishFailed(ILogger logger, int count, string problem, double delaySeconds);

    [LoggerMessage(EventId = 654, Level = LogLevel.Information, Message = "NATS acknowledges events again after: {Problem}. {Depth} events wait and are published in order")]
    private static partial void LogPublishingAgain(ILogger logger, string problem, long depth);
}
