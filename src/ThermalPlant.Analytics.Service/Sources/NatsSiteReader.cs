using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using ThermalPlant.Analytics.Service.Engine;
using ThermalPlant.Nats;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Storage.Writing;

namespace ThermalPlant.Analytics.Service.Sources;

/// <summary>
/// Feeds one site's samples from the JetStream stream to the engine: creates (or updates) the site's durable pull
/// consumer, fetches batches of messages, scores their samples in order and acknowledges the messages after scoring.
/// The consumer starts at the stream's newest message when it is first made and keeps its place across restarts. A
/// message delivered again (its acknowledgement lost) is harmless: samples not newer than a tag's last scored one are
/// skipped. While the stream cannot be read the site's served results are BadCommunicationError.
/// </summary>
internal sealed partial class NatsSiteReader(
    AnalyticsNatsOptions options,
    string site,
    AnalyticsEngine engine,
    EndpointHealth health,
    TimeProvider time,
    ILogger<NatsSiteReader> logger)
{
    private readonly string _name = options.ConsumerName(site);
    private readonly string _subjects = SampleSubjects.Site(options.SubjectPrefix, site);
    private readonly Dictionary<(string Endpoint, string NodeId), TagKey> _decoded = [];
    private readonly Dictionary<TagKey, Known> _known = [];
    private readonly List<TagValue> _burst = [];
    private int _analysed;
    private bool _warnedFull;

    /// <summary>The name this site is reported under in health and metrics.</summary>
    public string Label => $"nats:{site}";

    /// <summary>Reads until <paramref name="cancellationToken"/> fires, waiting longer after each failure.</summary>
    public async Task RunAsync(NatsJSContext js, CancellationToken cancellationToken)
    {
        var delay = options.RetryMinDelay;
        INatsJSConsumer? consumer = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                consumer ??= await CreateConsumerAsync(js, cancellationToken);
                var first = await consumer.NextAsync<byte[]>(opts: new NatsJSNextOpts { Expires = options.FetchWait }, cancellationToken: cancellationToken);
                Up();
                delay = options.RetryMinDelay;
                if (first is null) continue;
                var fetched = new List<INatsJSMsg<byte[]>>(options.FetchMessages) { first };
                if (options.FetchMessages > 1)
                {
                    await foreach (var message in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = options.FetchMessages - 1 }, cancellationToken: cancellationToken))
                    {
                        fetched.Add(message);
                    }
                }
                await ScoreAsync(fetched, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NatsException or TimeoutException or OperationCanceledException)
            {
                // A node lost, a new leader, or the stream not made yet: the client reconnects by itself, the
                // consumer is made or looked up afresh.
                consumer = null;
                Down(ex is NatsJSApiException { Error.Code: 404 } ? $"stream {options.Stream} does not exist yet (the storage writers create it)" : ex.Message);
                LogReadFailed(_name, ex.Message, delay.TotalSeconds);
                await Task.Delay(delay, time, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(options.RetryMaxDelay.Ticks, delay.Ticks * 2));
            }
        }
    }

    private async Task<INatsJSConsumer> CreateConsumerAsync(NatsJSContext js, CancellationToken cancellationToken)
    {
        var consumer = await js.CreateOrUpdateConsumerAsync(options.Stream, new ConsumerConfig(_name)
        {
            DurableName = _name,
            FilterSubject = _subjects,
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            AckWait = options.AckWait,
            MaxAckPending = options.MaxAckPending,
            // Live samples are what is scored: a new consumer does not go through what the stream still holds.
            DeliverPolicy = ConsumerConfigDeliverPolicy.New,
        }, cancellationToken);
        LogConsuming(_name, options.Stream, _subjects, consumer.Info.NumPending);
        return consumer;
    }

    /// <summary>Scores the messages' samples in order, then acknowledges the messages; a message that is no sample batch is terminated.</summary>
    private async Task ScoreAsync(List<INatsJSMsg<byte[]>> fetched, CancellationToken cancellationToken)
    {
        _burst.Clear();
        foreach (var message in fetched)
        {
            DecodedBatch batch;
            // The decoder's cache of tag objects only saves allocations; tags beyond those analysed must not grow it for ever.
            if (_decoded.Count > 2 * options.MaxVariables) _decoded.Clear();
            try
            {
                batch = SampleBatchCodec.Decode(message.Data, _decoded);
            }
            catch (InvalidDataException ex)
            {
                LogRejected(message.Subject, message.Metadata?.Sequence.Stream ?? 0, ex.Message);
                await message.AckTerminateAsync(cancellationToken: cancellationToken);
                continue;
            }
            foreach (var sample in batch.Samples) Add(sample);
        }
        engine.Score(_burst);
        _burst.Clear();
        foreach (var message in fetched)
        {
            // After scoring: a reader gone before this line has the message delivered again (and skips what it scored).
            await message.AckAsync(cancellationToken: cancellationToken);
        }
    }

    private void Add(in Sample sample)
    {
        if (!_known.TryGetValue(sample.Tag, out var known))
        {
            var tag = Register(sample.Tag);
            // Tags not analysed (over MaxVariables) are not remembered, so a peer naming ever new tags costs no memory.
            if (tag is null && _analysed >= options.MaxVariables) return;
            known = new Known(tag);
            _known[sample.Tag] = known;
        }
        if (known.Tag is null) return;
        if (sample.Timestamp <= known.Last)
        {
            AnalyticsMetrics.SamplesSkipped.WithLabels(known.Tag.Endpoint, "already_scored").Inc();
            return;
        }
        known.Last = sample.Timestamp;
        _burst.Add(new TagValue(known.Tag, new DataValue { Value = Variant.From(sample.Value), Status = sample.StatusCode, SourceTimestamp = sample.Timestamp }));
    }

    /// <summary>The engine's tag for a sample's tag; null when the site has <see cref="AnalyticsNatsOptions.MaxVariables"/> already or another source has the path.</summary>
    private AnalyzedTag? Register(TagKey tag)
    {
        if (_analysed >= options.MaxVariables)
        {
            if (!_warnedFull) LogTooManyTags(site, options.MaxVariables);
            _warnedFull = true;
            return null;
        }
        var path = options.TagPath(site, tag.SensorName, tag.TagName);
        // The engine keys a tag by its path; the node is what the scraper read it as, kept for the record.
        var registered = engine.Register(tag.Endpoint, new FoundVariable(NodeId.Of(tag.NodeId, 0), path));
        if (registered is not null) AnalyticsMetrics.Variables.WithLabels(Label).Set(++_analysed);
        return registered;
    }

    private void Up()
    {
        health.Report(Label, true);
        AnalyticsMetrics.Connected.WithLabels(Label).Set(1);
    }

    private void Down(string problem)
    {
        health.Report(Label, false, problem);
        AnalyticsMetrics.Connected.WithLabels(Label).Set(0);
        engine.MarkUnreachable([.. _known.Values.Where(k => k.Tag is not null).Select(k => k.Tag!)]);
    }

    private sealed class Known(AnalyzedTag? tag)
    {
        public AnalyzedTag? Tag { get; } = tag;

        public DateTime Last { get; set; } = DateTime.MinValue;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reading stream {Stream} with consumer {Consumer} ({Subjects}); {Pending} messages wait")]
    private partial void LogConsuming(string consumer, string stream, string subjects, ulong pending);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading with consumer {Consumer} failed: {Problem}. Its tags' results are BadCommunicationError; retrying in {DelaySeconds:F1} s, unacknowledged messages are delivered again")]
    private partial void LogReadFailed(string consumer, string problem, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Message {Subject} (stream sequence {Sequence}) is not a sample batch ({Problem}); it is terminated, never delivered again")]
    private partial void LogRejected(string subject, ulong sequence, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Site {Site} has more tags than MaxVariables ({Max}); the samples of the rest are not analysed")]
    private partial void LogTooManyTags(string site, int max);
}
