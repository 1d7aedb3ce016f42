using NATS.Client.JetStream;
using ThermalPlant.Nats;

namespace ThermalPlant.Scraper.Transport;

/// <summary>
/// Checks, at most every <see cref="NatsTransportOptions.ConsumerCheckInterval"/>, that the stream exists, takes a
/// subject (<paramref name="probe"/>, one this scraper publishes on) and has a consumer whose filter covers it: the
/// stream keeps messages for its consumers only (interest retention), so without one it would drop what is published.
/// </summary>
internal sealed class StreamCoverage(NatsTransportOptions nats, string probe, string what, TimeProvider time)
{
    private long _coveredAt = long.MinValue;

    /// <summary>Returns once the subject is covered; throws <see cref="InvalidOperationException"/> naming what is missing.</summary>
    public async Task EnsureAsync(NatsJSContext js, CancellationToken cancellationToken)
    {
        if (_coveredAt != long.MinValue && time.GetElapsedTime(_coveredAt) < nats.ConsumerCheckInterval) return;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(nats.RequestTimeout);
        INatsJSStream stream;
        try
        {
            stream = await js.GetStreamAsync(nats.Stream, cancellationToken: timeout.Token);
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
            NatsPublishMetrics.Failures.Inc();
            throw new InvalidOperationException($"stream {nats.Stream} does not exist yet (the storage writers create it)");
        }
        if (!(stream.Info.Config.Subjects ?? []).Any(s => SampleSubjects.Matches(s, probe)))
        {
            NatsPublishMetrics.Failures.Inc();
            throw new InvalidOperationException($"stream {nats.Stream} does not take the subjects of {what} ({probe}); writers of this version add them at start");
        }
        var covered = false;
        await foreach (var consumer in stream.ListConsumersAsync(timeout.Token))
        {
            var filter = consumer.Info.Config.FilterSubject;
            if (string.IsNullOrEmpty(filter) || SampleSubjects.Matches(filter, probe)) covered = true;
        }
        if (!covered)
        {
            NatsPublishMetrics.Failures.Inc();
            throw new InvalidOperationException($"no consumer of stream {nats.Stream} takes {what}: the stream would drop what is published (interest retention); map the site to a storage shard");
        }
        _coveredAt = time.GetTimestamp();
    }
}
