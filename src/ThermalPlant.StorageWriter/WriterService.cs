using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using ThermalPlant.Nats;

namespace ThermalPlant.StorageWriter;

/// <summary>
/// Sets up the stream (the samples' and the events' subjects) and two durable consumers per (shard, site), samples and events (create or update: every instance applies the same
/// configuration), then runs every shard's writer and the stream monitor. The monitor publishes the stream's fill and
/// each consumer's backlog, and logs when the stream nears or reaches MaxBytes (publishes refused, the scrapers keep
/// their batches) or MaxAge (its oldest messages are removed whether written or not).
/// </summary>
internal sealed partial class WriterService(IOptions<WriterOptions> options, IOptionsMonitor<WriterOptions> reloaded, WriterHealth health, TimeProvider time, ILoggerFactory loggers) : BackgroundService
{
    private readonly WriterOptions _options = options.Value;
    private readonly ILogger _logger = loggers.CreateLogger<WriterService>();
    private readonly Dictionary<string, bool> _warned = new(StringComparer.Ordinal);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var connection = _options.Nats.Connect("thermalplant-writer", loggers);
        var js = new NatsJSContext(connection);
        if (!await SetUpAsync(js, stoppingToken)) return;
        health.MarkReady();
        var shards = _options.Shards.Select(s => new ShardWriter(s, _options, reloaded, health, time, loggers.CreateLogger<ShardWriter>()).RunAsync(js, stoppingToken));
        await Task.WhenAll([.. shards, MonitorAsync(js, stoppingToken)]);
    }

    private async Task<bool> SetUpAsync(NatsJSContext js, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                var stream = _options.Stream;
                await js.CreateOrUpdateStreamAsync(new StreamConfig(_options.Nats.Stream, [SampleSubjects.All(_options.Nats.SubjectPrefix), SampleSubjects.All(_options.Nats.EventSubjectPrefix)])
                {
                    // Kept until every consumer (each shard's sites, analytics) acknowledged it; refused when full.
                    Retention = StreamConfigRetention.Interest,
                    Discard = StreamConfigDiscard.New,
                    Storage = StreamConfigStorage.File,
                    NumReplicas = stream.Replicas,
                    MaxAge = stream.MaxAge,
                    MaxBytes = stream.MaxBytes,
                    DuplicateWindow = stream.DuplicateWindow,
                }, cancellationToken);
                foreach (var shard in _options.Shards)
                {
                    foreach (var site in shard.Sites)
                    {
                        await CreateConsumerAsync(js, ShardWriter.ConsumerName(_options.Consumer, shard.Name, site), SampleSubjects.Site(_options.Nats.SubjectPrefix, site), cancellationToken);
                        await CreateConsumerAsync(js, ShardWriter.EventConsumerName(_options.Consumer, shard.Name, site), SampleSubjects.Events(_options.Nats.EventSubjectPrefix, site), cancellationToken);
                    }
                }
                health.Report("nats", true);
                var sites = _options.Shards.Sum(s => s.Sites.Count);
                LogSetUp(_logger, _options.Nats.Stream, stream.Replicas, sites, _options.Shards.Count);
                return true;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return false;
            }
            catch (Exception ex) when (ex is NatsException or TimeoutException or OperationCanceledException)
            {
                health.Report("nats", false, ex.Message);
                LogSetUpFailed(_logger, _options.Nats.Stream, ex.Message, delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
                delay = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(30).Ticks, delay.Ticks * 2));
            }
        }
    }

    private async Task CreateConsumerAsync(NatsJSContext js, string name, string subjects, CancellationToken cancellationToken)
    {
        await js.CreateOrUpdateConsumerAsync(_options.Nats.Stream, new ConsumerConfig(name)
        {
            DurableName = name,
            FilterSubject = subjects,
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            AckWait = _options.Consumer.AckWait,
            MaxAckPending = _options.Consumer.MaxAckPending,
            DeliverPolicy = ConsumerConfigDeliverPolicy.All,
        }, cancellationToken);
    }

    private async Task MonitorAsync(NatsJSContext js, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.MonitorInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await ObserveAsync(js, cancellationToken);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is NatsException or TimeoutException or OperationCanceledException)
                {
                    LogMonitorFailed(_logger, _options.Nats.Stream, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task ObserveAsync(NatsJSContext js, CancellationToken cancellationToken)
    {
        var stream = await js.GetStreamAsync(_options.Nats.Stream, cancellationToken: cancellationToken);
        var state = stream.Info.State;
        WriterMetrics.StreamBytes.Set(state.Bytes);
        WriterMetrics.StreamMessages.Set(state.Messages);
        // FirstTs is RFC 3339 text; with no message it is the zero time.
        var age = state.Messages > 0 && DateTimeOffset.TryParse(state.FirstTs, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var first)
            ? Math.Max(0, (time.GetUtcNow() - first).TotalSeconds)
            : 0;
        WriterMetrics.StreamOldestAge.Set(age);
        var bytesRatio = (double)state.Bytes / _options.Stream.MaxBytes;
        var ageRatio = age / _options.Stream.MaxAge.TotalSeconds;
        WriterMetrics.StreamLimitRatio.WithLabels("bytes").Set(bytesRatio);
        WriterMetrics.StreamLimitRatio.WithLabels("age").Set(ageRatio);
        Warn("bytes", bytesRatio, () => LogBytesLimit(_logger, _options.Nats.Stream, (long)state.Bytes, _options.Stream.MaxBytes, bytesRatio * 100));
        Warn("age", ageRatio, () => LogAgeLimit(_logger, _options.Nats.Stream, age, _options.Stream.MaxAge.TotalSeconds, ageRatio * 100));
        foreach (var shard in _options.Shards)
        {
            foreach (var site in shard.Sites)
            {
                foreach (var name in new[] { ShardWriter.ConsumerName(_options.Consumer, shard.Name, site), ShardWriter.EventConsumerName(_options.Consumer, shard.Name, site) })
                {
                    var consumer = await js.GetConsumerAsync(_options.Nats.Stream, name, cancellationToken);
                    WriterMetrics.ConsumerPending.WithLabels(name).Set(consumer.Info.NumPending);
                    WriterMetrics.ConsumerAckPending.WithLabels(name).Set(consumer.Info.NumAckPending);
                }
            }
        }
    }

    /// <summary>Logs once when a limit's ratio crosses the warning ratio, and once when it falls back below it.</summary>
    private void Warn(string limit, double ratio, Action log)
    {
        var over = ratio >= _options.LimitWarningRatio;
        _warned.TryGetValue(limit, out var was);
        if (over && !was) log();
        if (!over && was) LogLimitClear(_logger, _options.Nats.Stream, limit, ratio * 100);
        _warned[limit] = over;
    }

    [LoggerMessage(EventId = 900, Level = LogLevel.Information, Message = "Stream {Stream} (replicas {Replicas}, interest retention, discard new) and {Consumers} site consumers over {Shards} shards are set up")]
    private static partial void LogSetUp(ILogger logger, string stream, int replicas, int consumers, int shards);

    [LoggerMessage(EventId = 901, Level = LogLevel.Warning, Message = "Cannot set up stream {Stream} and its consumers: {Problem}. Retrying in {DelaySeconds:F1} s")]
    private static partial void LogSetUpFailed(ILogger logger, string stream, string problem, double delaySeconds);

    [LoggerMessage(EventId = 902, Level = LogLevel.Error, Message = "Stream {Stream} holds {Bytes} of its MaxBytes {MaxBytes} ({Percent:F0} %): at the limit it refuses new messages and the scrapers keep their batches in their spill files until writers catch up. Add writers or database shards, or raise Writer:Stream:MaxBytes")]
    private static partial void LogBytesLimit(ILogger logger, string stream, long bytes, long maxBytes, double percent);

    [LoggerMessage(EventId = 903, Level = LogLevel.Error, Message = "Stream {Stream}'s oldest message is {AgeSeconds:F0} s old of MaxAge {MaxAgeSeconds:F0} s ({Percent:F0} %): at MaxAge messages are removed whether written or not. A shard's database or its writers are behind; fix them, or raise Writer:Stream:MaxAge")]
    private static partial void LogAgeLimit(ILogger logger, string stream, double ageSeconds, double maxAgeSeconds, double percent);

    [LoggerMessage(EventId = 904, Level = LogLevel.Information, Message = "Stream {Stream}'s {Limit} is below the warning ratio again ({Percent:F0} % of the limit)")]
    private static partial void LogLimitClear(ILogger logger, string stream, string limit, double percent);

    [LoggerMessage(EventId = 905, Level = LogLevel.Warning, Message = "Reading stream {Stream}'s state failed: {Problem}; the stream metrics keep their last values")]
    private static partial void LogMonitorFailed(ILogger logger, string stream, string problem);
}
