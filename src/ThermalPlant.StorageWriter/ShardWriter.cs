using System.Diagnostics;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Npgsql;
using ThermalPlant.Nats;
using ThermalPlant.Storage;
using ThermalPlant.Storage.Events;
using ThermalPlant.Storage.Maintenance;
using ThermalPlant.Storage.Schema;
using ThermalPlant.Storage.Writing;

namespace ThermalPlant.StorageWriter;

/// <summary>
/// One database and its sites: migrates the schema (retrying until the database answers), then for each site
/// fetches batches of messages from the site's durable consumer, writes all their samples in one transaction with
/// <see cref="SampleWriter"/>, and acknowledges the messages only after the commit; the site's events, from a
/// consumer of their own, likewise into the <c>events</c> table with <see cref="EventWriter"/>. A failed write gives the
/// messages back (a negative acknowledgement with a delay), so JetStream redelivers them, maybe to another instance;
/// the unique (tag, time) makes a redelivered batch cost nothing twice. On the plain path it also keeps partitions,
/// retention and rollups, as the direct scraper does; on both paths it keeps the events to their retention
/// (<see cref="EventRetention"/>, as the direct scraper's event storage). With several instances their SQL serializes
/// them (advisory and row locks) or is idempotent (the events' delete), so each instance may run them.
/// </summary>
internal sealed partial class ShardWriter(ShardOptions shard, WriterOptions options, IOptionsMonitor<WriterOptions> reloaded, WriterHealth health, TimeProvider time, ILogger logger)
{
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(DatabaseUrl.ToConnectionString(shard.ConnectionString));
    private readonly Dictionary<(string Endpoint, string NodeId), TagKey> _tags = [];
    private readonly Lock _tagsLock = new();

    /// <summary>The health and log name of the shard's database.</summary>
    public string Name => $"shard {shard.Name}";

    /// <summary>The durable consumer of <paramref name="site"/> in this shard.</summary>
    public static string ConsumerName(ConsumerOptions consumer, string shardName, string site) => $"{consumer.Name}_{shardName}_{site}";

    /// <summary>The durable consumer of <paramref name="site"/>'s events in this shard.</summary>
    public static string EventConsumerName(ConsumerOptions consumer, string shardName, string site) => $"{ConsumerName(consumer, shardName, site)}_events";

    /// <summary>Runs until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(NatsJSContext js, CancellationToken cancellationToken)
    {
        await using var _ = _dataSource;
        var path = await MigrateAsync(cancellationToken);
        if (path is null) return;
        var writer = new SampleWriter(_dataSource, path.Value, timeProvider: time);
        var events = new EventWriter(_dataSource);
        await Task.WhenAll([
            .. shard.Sites.Select(site => ConsumeAsync(js, ConsumerName(options.Consumer, shard.Name, site), (fetched, ct) => WriteAsync(writer, fetched, ct), cancellationToken)),
            .. shard.Sites.Select(site => ConsumeAsync(js, EventConsumerName(options.Consumer, shard.Name, site), (fetched, ct) => WriteEventsAsync(events, fetched, ct), cancellationToken)),
            MaintainAsync(path.Value, cancellationToken)]);
    }

    private async Task MaintainAsync(StoragePath path, CancellationToken cancellationToken)
    {
        var events = KeepEventsRetentionAsync(path, cancellationToken);
        if (path != StoragePath.Plain)
        {
            await events;
            return;
        }
        var partitions = new PartitionMaintainer(_dataSource, path, new PartitionMaintainerOptions { Retention = shard.Retention, Interval = shard.PartitionInterval }, time);
        var rollups = new RollupMaintainer(_dataSource, path, time);
        await Task.WhenAll(events, KeepRunningAsync("partitions", partitions.RunAsync, cancellationToken), KeepRunningAsync("rollups", ct => rollups.RunAsync(shard.RollupInterval, ct), cancellationToken));
    }

    /// <summary>
    /// Keeps the shard's events to <see cref="ShardOptions.EventsRetention"/> every
    /// <see cref="ShardOptions.EventsRetentionInterval"/>, from start: on TimescaleDB sets the table's retention policy to
    /// it (replacing a policy of another age), on plain PostgreSQL deletes what expired. The retention is read again each
    /// time, so a change in a configuration source that reloads (appsettings.json) takes effect at the next interval; a
    /// reloaded configuration that fails validation is logged and the last valid retention kept. A failure is logged
    /// and tried again at the next interval; writing goes on meanwhile.
    /// </summary>
    private async Task KeepEventsRetentionAsync(StoragePath path, CancellationToken cancellationToken)
    {
        var retention = shard.EventsRetention;
        using var timer = new PeriodicTimer(shard.EventsRetentionInterval, time);
        try
        {
            do
            {
                retention = CurrentEventsRetention(retention);
                try
                {
                    var keeper = new EventRetention(_dataSource, retention, time);
                    if (await keeper.ApplyPolicyAsync(path, cancellationToken) is { } previous)
                    {
                        LogEventsPolicySet(logger, shard.Name, retention.TotalDays, previous.TotalDays);
                    }
                    var deleted = await keeper.DeleteExpiredAsync(path, cancellationToken);
                    if (deleted > 0) LogEventsDeleted(logger, shard.Name, deleted, retention.TotalDays);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is NpgsqlException or TimeoutException or IOException or System.Net.Sockets.SocketException)
                {
                    LogEventsRetentionFailed(logger, shard.Name, ex.Message, shard.EventsRetentionInterval.TotalMinutes);
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>This shard's events retention in the configuration now; <paramref name="last"/> while a reloaded one is not valid or no longer lists the shard.</summary>
    private TimeSpan CurrentEventsRetention(TimeSpan last)
    {
        try
        {
            return reloaded.CurrentValue.Shards.FirstOrDefault(s => s.Name == shard.Name)?.EventsRetention ?? last;
        }
        catch (OptionsValidationException ex)
        {
            LogReloadInvalid(logger, shard.Name, ex.Message, last.TotalDays);
            return last;
        }
    }

    private async Task KeepRunningAsync(string what, Func<CancellationToken, Task> run, CancellationToken cancellationToken)
    {
        var delay = shard.RetryMinDelay;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await run(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or System.Net.Sockets.SocketException)
            {
                LogMaintenanceFailed(logger, shard.Name, what, ex.Message, delay.TotalSeconds);
                await Task.Delay(delay, time, cancellationToken);
                delay = Next(delay);
            }
        }
    }

    private async Task<StoragePath?> MigrateAsync(CancellationToken cancellationToken)
    {
        var delay = shard.RetryMinDelay;
        var migrator = new SchemaMigrator(_dataSource, new SchemaMigratorOptions { Path = shard.Path });
        while (true)
        {
            try
            {
                var result = await migrator.MigrateAsync(cancellationToken);
                LogMigrated(logger, shard.Name, result.Path, result.AppliedNow.Count);
                health.Report(Name, true);
                return result.Path;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return null;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or System.Net.Sockets.SocketException)
            {
                health.Report(Name, false, ex.Message);
                LogMigrationFailed(logger, shard.Name, ex.Message, delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return null;
                }
                delay = Next(delay);
            }
        }
    }

    private async Task ConsumeAsync(NatsJSContext js, string name, Func<List<INatsJSMsg<byte[]>>, CancellationToken, Task<bool>> write, CancellationToken cancellationToken)
    {
        var delay = shard.RetryMinDelay;
        INatsJSConsumer? consumer = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                consumer ??= await js.GetConsumerAsync(options.Nats.Stream, name, cancellationToken);
                // Waits for one message, then takes what else is there: a batch never waits to fill, so a quiet
                // site's samples are written at once and a busy site's in batches of FetchMessages.
                var first = await NextAsync(consumer, cancellationToken);
                health.Report($"nats {name}", true);
                if (first is null) continue;
                var fetched = new List<INatsJSMsg<byte[]>>(options.Consumer.FetchMessages) { first };
                if (options.Consumer.FetchMessages > 1) await FetchMoreAsync(consumer, fetched, cancellationToken);
                if (await write(fetched, cancellationToken))
                {
                    delay = shard.RetryMinDelay;
                }
                else
                {
                    await Task.Delay(delay, time, cancellationToken);
                    delay = Next(delay);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NatsException or TimeoutException or OperationCanceledException or InvalidOperationException)
            {
                // A node lost or a new leader: the client reconnects by itself; the consumer is looked up afresh.
                // Whatever the client throws, this loop goes on: ending it would stop the site for good, unseen.
                consumer = null;
                health.Report($"nats {name}", false, ex.Message);
                LogFetchFailed(logger, name, ex.Message, delay.TotalSeconds);
                await Task.Delay(delay, time, cancellationToken);
                delay = Next(delay);
            }
        }
    }

    /// <summary>
    /// Waits up to FetchWait for one message. The pull request may be lost with a consumer leader that died (nothing
    /// answers it then), so the wait has a deadline of its own, FetchWait + RequestTimeout, beyond the client's timers:
    /// past it the fetch fails and the consumer is looked up again.
    /// </summary>
    private async Task<INatsJSMsg<byte[]>?> NextAsync(INatsJSConsumer consumer, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.Consumer.FetchWait + options.Nats.RequestTimeout);
        return await consumer.NextAsync<byte[]>(opts: new NatsJSNextOpts { Expires = options.Consumer.FetchWait }, cancellationToken: deadline.Token);
    }

    /// <summary>
    /// Adds what else the consumer holds, up to FetchMessages in all, without waiting for more. The request expires
    /// after FetchWait (the client's default, 30 s, held a batch's first message that long when the request went to a
    /// consumer leader that died), and the whole fetch has the deadline FetchWait + RequestTimeout: past it the
    /// messages already fetched are written, and those the server still sends are redelivered after AckWait.
    /// </summary>
    private async Task FetchMoreAsync(INatsJSConsumer consumer, List<INatsJSMsg<byte[]>> fetched, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.Consumer.FetchWait + options.Nats.RequestTimeout);
        try
        {
            await foreach (var message in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = options.Consumer.FetchMessages - 1, Expires = options.Consumer.FetchWait }, cancellationToken: deadline.Token))
            {
                fetched.Add(message);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogFetchMoreExpired(logger, consumer.Info.Name, fetched.Count, (options.Consumer.FetchWait + options.Nats.RequestTimeout).TotalSeconds);
        }
    }

    /// <summary>Writes the messages' samples in one transaction and acknowledges them; false when the database failed (the messages are given back).</summary>
    private async Task<bool> WriteAsync(SampleWriter writer, List<INatsJSMsg<byte[]>> fetched, CancellationToken cancellationToken)
    {
        var batches = new List<(INatsJSMsg<byte[]> Message, Sample[] Samples)>(fetched.Count);
        foreach (var message in fetched)
        {
            if (message.Metadata is { NumDelivered: > 1 }) WriterMetrics.Redelivered.WithLabels(shard.Name).Inc();
            try
            {
                DecodedBatch decoded;
                lock (_tagsLock) decoded = SampleBatchCodec.Decode(message.Data, _tags);
                batches.Add((message, decoded.Samples));
            }
            catch (InvalidDataException ex)
            {
                await RejectAsync(message, $"not a sample batch: {ex.Message}", cancellationToken);
            }
        }
        if (batches.Count == 0) return true;
        var samples = batches.SelectMany(b => b.Samples).ToArray();
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(shard.WriteTimeout);
            var result = await WriteOrIsolateAsync(writer, batches, samples, timeout.Token);
            WriterMetrics.CopyDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
            WriterMetrics.Samples.WithLabels(shard.Name).Inc(result.Samples);
            WriterMetrics.Inserted.WithLabels(shard.Name).Inc(result.Inserted);
            var now = time.GetUtcNow().UtcDateTime;
            foreach (var (message, batch) in batches)
            {
                // Only after the commit: a writer killed before this line leaves the message to be redelivered.
                await message.AckAsync(cancellationToken: cancellationToken);
                WriterMetrics.Messages.WithLabels(shard.Name).Inc();
                if (batch.Length > 0) WriterMetrics.Delay.Observe((now - batch.Min(s => s.Timestamp)).TotalSeconds);
            }
            health.Report(Name, true);
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is NpgsqlException or TimeoutException or IOException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            WriterMetrics.Failures.WithLabels(shard.Name).Inc();
            var problem = ex is OperationCanceledException ? $"no answer within {shard.WriteTimeout.TotalSeconds} s" : ex.Message;
            health.Report(Name, false, problem);
            LogWriteFailed(logger, shard.Name, samples.Length, batches.Count, problem);
            foreach (var (message, _) in batches)
            {
                await message.NakAsync(new AckOpts { NakDelay = shard.RetryMinDelay }, cancellationToken);
            }
            return false;
        }
    }

    /// <summary>
    /// Writes the messages' events in one statement and acknowledges them after it committed; false when the database
    /// failed (the messages are given back). A message the database refuses as data is written alone and, refused
    /// again, terminated and logged, so it never blocks the events behind it.
    /// </summary>
    private async Task<bool> WriteEventsAsync(EventWriter writer, List<INatsJSMsg<byte[]>> fetched, CancellationToken cancellationToken)
    {
        var batches = new List<(INatsJSMsg<byte[]> Message, StoredEvent[] Events)>(fetched.Count);
        foreach (var message in fetched)
        {
            if (message.Metadata is { NumDelivered: > 1 }) WriterMetrics.Redelivered.WithLabels(shard.Name).Inc();
            try
            {
                batches.Add((message, EventBatchCodec.Decode(message.Data)));
            }
            catch (InvalidDataException ex)
            {
                await RejectAsync(message, $"not an event batch: {ex.Message}", cancellationToken);
            }
        }
        if (batches.Count == 0) return true;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(shard.WriteTimeout);
            try
            {
                await writer.WriteAsync([.. batches.SelectMany(b => b.Events)], timeout.Token);
            }
            catch (PostgresException ex) when (ex.SqlState.StartsWith("22", StringComparison.Ordinal))
            {
                for (var i = batches.Count - 1; i >= 0; i--)
                {
                    try
                    {
                        await writer.WriteAsync(batches[i].Events, timeout.Token);
                    }
                    catch (PostgresException refused) when (refused.SqlState.StartsWith("22", StringComparison.Ordinal))
                    {
                        await RejectAsync(batches[i].Message, $"the database refuses its events: {refused.MessageText}", cancellationToken);
                        batches.RemoveAt(i);
                    }
                }
            }
            foreach (var (message, events) in batches)
            {
                await message.AckAsync(cancellationToken: cancellationToken);
                WriterMetrics.Messages.WithLabels(shard.Name).Inc();
                WriterMetrics.Events.WithLabels(shard.Name).Inc(events.Length);
            }
            health.Report(Name, true);
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is NpgsqlException or TimeoutException or IOException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            WriterMetrics.Failures.WithLabels(shard.Name).Inc();
            var problem = ex is OperationCanceledException ? $"no answer within {shard.WriteTimeout.TotalSeconds} s" : ex.Message;
            health.Report(Name, false, problem);
            LogEventWriteFailed(logger, shard.Name, batches.Sum(b => b.Events.Length), batches.Count, problem);
            foreach (var (message, _) in batches)
            {
                await message.NakAsync(new AckOpts { NakDelay = shard.RetryMinDelay }, cancellationToken);
            }
            return false;
        }
    }

    /// <summary>
    /// Writes every message's samples together; when the database refuses the data itself (an SQL data exception,
    /// which no retry fixes), writes message by message and terminates the refused ones, logged, so one bad message
    /// never blocks the site.
    /// </summary>
    private async Task<WriteResult> WriteOrIsolateAsync(SampleWriter writer, List<(INatsJSMsg<byte[]> Message, Sample[] Samples)> batches, Sample[] samples, CancellationToken cancellationToken)
    {
        try
        {
            return await writer.WriteAsync(samples, cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            long inserted = 0;
            var written = 0;
            for (var i = batches.Count - 1; i >= 0; i--)
            {
                try
                {
                    var result = await writer.WriteAsync(batches[i].Samples, cancellationToken);
                    inserted += result.Inserted;
                    written += result.Samples;
                }
                catch (PostgresException refused) when (refused.SqlState.StartsWith("22", StringComparison.Ordinal))
                {
                    await RejectAsync(batches[i].Message, $"the database refuses its data: {refused.MessageText}", cancellationToken);
                    batches.RemoveAt(i);
                }
            }
            return new WriteResult(written, inserted, true);
        }
    }

    private async Task RejectAsync(INatsJSMsg<byte[]> message, string reason, CancellationToken cancellationToken)
    {
        WriterMetrics.Rejected.WithLabels(shard.Name).Inc();
        LogRejected(logger, message.Subject, message.Metadata?.Sequence.Stream ?? 0, reason);
        await message.AckTerminateAsync(cancellationToken: cancellationToken);
    }

    private TimeSpan Next(TimeSpan delay) => TimeSpan.FromTicks(Math.Min(shard.RetryMaxDelay.Ticks, delay.Ticks * 2));

    [LoggerMessage(EventId = 910, Level = LogLevel.Information, Message = "Shard {Shard}: database schema ready on the {Path} path; {Applied} migrations applied now")]
    private static partial void LogMigrated(ILogger logger, string shard, StoragePath path, int applied);

    [LoggerMessage(EventId = 911, Level = LogLevel.Warning, Message = "Shard {Shard}: cannot migrate the database schema: {Problem}. Its sites' messages wait in the stream; retrying in {DelaySeconds:F1} s")]
    private static partial void LogMigrationFailed(ILogger logger, string shard, string problem, double delaySeconds);

    [LoggerMessage(EventId = 912, Level = LogLevel.Warning, Message = "Shard {Shard}: writing {Samples} samples of {Messages} messages failed: {Problem}. The messages are given back to the stream and redelivered")]
    private static partial void LogWriteFailed(ILogger logger, string shard, int samples, int messages, string problem);

    [LoggerMessage(EventId = 916, Level = LogLevel.Warning, Message = "Shard {Shard}: writing {Events} events of {Messages} messages failed: {Problem}. The messages are given back to the stream and redelivered")]
    private static partial void LogEventWriteFailed(ILogger logger, string shard, int events, int messages, string problem);

    [LoggerMessage(EventId = 913, Level = LogLevel.Warning, Message = "Fetching from consumer {Consumer} failed: {Problem}. Retrying in {DelaySeconds:F1} s; unacknowledged messages are redelivered")]
    private static partial void LogFetchFailed(ILogger logger, string consumer, string problem, double delaySeconds);

    [LoggerMessage(EventId = 917, Level = LogLevel.Warning, Message = "Fetching more from consumer {Consumer} had no end within {DeadlineSeconds:F1} s; the {Count} messages fetched are written now")]
    private static partial void LogFetchMoreExpired(ILogger logger, string consumer, int count, double deadlineSeconds);

    [LoggerMessage(EventId = 915, Level = LogLevel.Warning, Message = "Shard {Shard}: keeping the {What} failed: {Problem}. Retrying in {DelaySeconds:F1} s")]
    private static partial void LogMaintenanceFailed(ILogger logger, string shard, string what, string problem, double delaySeconds);

    [LoggerMessage(EventId = 918, Level = LogLevel.Information, Message = "Shard {Shard}: the events table's retention policy now drops events older than {Days:F1} days (it was {PreviousDays:F1}; 0 for none)")]
    private static partial void LogEventsPolicySet(ILogger logger, string shard, double days, double previousDays);

    [LoggerMessage(EventId = 919, Level = LogLevel.Information, Message = "Shard {Shard}: deleted {Count} events older than the retention of {Days:F1} days")]
    private static partial void LogEventsDeleted(ILogger logger, string shard, long count, double days);

    [LoggerMessage(EventId = 920, Level = LogLevel.Warning, Message = "Shard {Shard}: applying the events' retention failed: {Problem}. Tried again in {Minutes:F0} min; events are written meanwhile")]
    private static partial void LogEventsRetentionFailed(ILogger logger, string shard, string problem, double minutes);

    [LoggerMessage(EventId = 921, Level = LogLevel.Warning, Message = "Shard {Shard}: the reloaded configuration is not valid: {Problem}. The events' retention stays at {Days:F1} days until it is")]
    private static partial void LogReloadInvalid(ILogger logger, string shard, string problem, double days);

    [LoggerMessage(EventId = 914, Level = LogLevel.Error, Message = "Message {Subject} (stream sequence {Sequence}) is terminated, never redelivered: {Reason}")]
    private static partial void LogRejected(ILogger logger, string subject, ulong sequence, string reason);
}
