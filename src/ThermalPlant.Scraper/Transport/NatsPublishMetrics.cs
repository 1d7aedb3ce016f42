using Prometheus;

namespace ThermalPlant.Scraper.Transport;

/// <summary>The NATS transport's metrics (only moving when <c>Scraper:Transport</c> is <c>Nats</c>).</summary>
internal static class NatsPublishMetrics
{
    public static readonly Counter Samples = Metrics.CreateCounter(
        "thermalplant_scraper_nats_published_samples_total", "Samples whose message JetStream acknowledged");

    public static readonly Counter Messages = Metrics.CreateCounter(
        "thermalplant_scraper_nats_published_messages_total", "Messages JetStream acknowledged");

    public static readonly Counter Events = Metrics.CreateCounter(
        "thermalplant_scraper_nats_published_events_total", "Events whose message JetStream acknowledged");

    public static readonly Counter Duplicates = Metrics.CreateCounter(
        "thermalplant_scraper_nats_duplicate_messages_total", "Messages JetStream acknowledged as duplicates of a stored one (same Nats-Msg-Id): a re-sent batch, stored once");

    public static readonly Counter Refused = Metrics.CreateCounter(
        "thermalplant_scraper_nats_refused_total", "Publishes JetStream answered with an error (e.g. the stream's MaxBytes reached with discard new), by error code; the batch stays queued", "code");

    public static readonly Counter Failures = Metrics.CreateCounter(
        "thermalplant_scraper_nats_publish_failures_total", "Publishes not acknowledged (no answer, no connection, no consumer for the site); the batch stays queued and is retried");

    public static readonly Histogram BatchSeconds = Metrics.CreateHistogram(
        "thermalplant_scraper_nats_batch_seconds", "Time from taking a queue batch to JetStream's last acknowledgement of it",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });

    public static readonly Histogram MessageBytes = Metrics.CreateHistogram(
        "thermalplant_scraper_nats_message_bytes", "Size of one published message",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(256, 4, 8) });
}
