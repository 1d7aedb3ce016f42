using System.Buffers;
using Microsoft.Extensions.Options;
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
    ILoggerFactory loggers) : NatsQueuePublisher<Sample>(
        queue,
        health,
        HealthName,
        options.Value.Nats,
        new StreamCoverage(options.Value.Nats, SampleSubjects.For(options.Value.Nats.SubjectPrefix, options.Value.Nats.Site, "probe"), $"site {options.Value.Nats.Site}", time),
        new PublishWindow(options.Value.Nats.MaxInFlight, CountMessages: true),
        time)
{
    /// <summary>The link's name in /health/ready.</summary>
    public const string HealthName = "nats";

    private readonly StorageOptions _storage = options.Value.Storage;
    private readonly ILogger _logger = loggers.CreateLogger<NatsPublisher>();

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        published.Save();
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // No schema to wait for here: the back-fill reads the local published times, so sources may look them up at
        // once, and readiness depends on the link alone (Degraded, naming it, until JetStream acknowledges).
        state.SetMigrated();
        Health.MarkMigrated();
        Health.Report(HealthName, false, "connecting");
        await using var connection = Nats.Connect($"thermalplant-scraper {Nats.Site}", loggers);
        // JetStream requests time out after the connection's RequestTimeout, which NatsLinkOptions sets.
        var js = new NatsJSContext(connection);
        var checkpoints = CheckpointAsync(stoppingToken);
        try
        {
            await PublishLoopAsync(js, _storage.BatchSize, _storage.BatchDelay, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await checkpoints;
    }

    /// <inheritdoc />
    protected override void OnPublished(List<Sample> items, TimeSpan elapsed)
    {
        published.Observe(items);
        NatsPublishMetrics.Samples.Inc(items.Count);
        NatsPublishMetrics.BatchSeconds.Observe(elapsed.TotalSeconds);
    }

    /// <inheritdoc />
    protected override void OnPublishFailed(int count, int left, string problem, TimeSpan delay) => LogPublishFailed(_logger, count, left, problem, delay.TotalSeconds);

    /// <inheritdoc />
    protected override void OnPublishingAgain(string problem, long depth) => LogPublishingAgain(_logger, problem, depth);

    private async Task CheckpointAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Nats.CheckpointInterval, Time);
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

    /// <summary>One message per endpoint and sensor (in order of first appearance, samples in queue order), split at <see cref="NatsTransportOptions.MaxSamplesPerMessage"/>.</summary>
    protected override List<NatsMessage> Encode(List<Sample> items)
    {
        var groups = new Dictionary<(string Endpoint, string Sensor), List<Sample>>();
        var order = new List<(string, string)>();
        foreach (var sample in items)
        {
            var key = (sample.Tag.Endpoint, sample.Tag.SensorName);
            if (!groups.TryGetValue(key, out var group))
            {
                groups[key] = group = [];
                order.Add(key);
            }
            group.Add(sample);
        }
        var messages = new List<NatsMessage>();
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        foreach (var key in order)
        {
            var group = groups[key];
            var subject = SampleSubjects.For(Nats.SubjectPrefix, Nats.Site, key.Item2);
            for (var start = 0; start < group.Count; start += Nats.MaxSamplesPerMessage)
            {
                buffer.ResetWrittenCount();
                var chunk = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(group).Slice(start, Math.Min(Nats.MaxSamplesPerMessage, group.Count - start));
                SampleBatchCodec.Encode(key.Item1, chunk, buffer);
                var bytes = buffer.WrittenSpan.ToArray();
                messages.Add(new NatsMessage(subject, bytes, SampleBatchCodec.MessageId(bytes)));
            }
        }
        return messages;
    }

    [LoggerMessage(EventId = 650, Level = LogLevel.Warning, Message = "Publishing a batch of {Count} samples ({Left} messages left) to NATS failed: {Problem}. The batch stays queued (spilling to disk once memory is full) and the same messages are re-sent in {DelaySeconds:F1} s")]
    private static partial void LogPublishFailed(ILogger logger, int count, int left, string problem, double delaySeconds);

    [LoggerMessage(EventId = 651, Level = LogLevel.Information, Message = "NATS acknowledges publishes again after: {Problem}. {Depth} samples wait and are published in order")]
    private static partial void LogPublishingAgain(ILogger logger, string problem, long depth);

    [LoggerMessage(EventId = 652, Level = LogLevel.Warning, Message = "Saving the published timestamps failed: {Problem}; retried at the next checkpoint")]
    private static partial void LogCheckpointFailed(ILogger logger, string problem);
}
