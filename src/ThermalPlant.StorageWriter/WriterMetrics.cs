using Prometheus;

namespace ThermalPlant.StorageWriter;

/// <summary>The storage writer's Prometheus metrics.</summary>
internal static class WriterMetrics
{
    public static readonly Counter Samples = Metrics.CreateCounter(
        "thermalplant_writer_samples_written_total", "Samples committed (rows new or already there)", "shard");

    public static readonly Counter Inserted = Metrics.CreateCounter(
        "thermalplant_writer_rows_inserted_total", "Rows that were new when committed", "shard");

    public static readonly Counter Events = Metrics.CreateCounter(
        "thermalplant_writer_events_written_total", "Events committed into the events table (rows new or already there)", "shard");

    public static readonly Counter Messages = Metrics.CreateCounter(
        "thermalplant_writer_messages_acked_total", "Messages acknowledged after their samples were committed", "shard");

    public static readonly Counter Redelivered = Metrics.CreateCounter(
        "thermalplant_writer_messages_redelivered_total", "Messages delivered more than once (a writer failed or was killed before acknowledging)", "shard");

    public static readonly Counter Failures = Metrics.CreateCounter(
        "thermalplant_writer_write_failures_total", "Batch writes that failed; their messages are redelivered after a delay", "shard");

    public static readonly Counter Rejected = Metrics.CreateCounter(
        "thermalplant_writer_rejected_messages_total", "Messages that are not sample batches or that the database refuses as data; terminated (never redelivered) and logged", "shard");

    public static readonly Histogram CopyDuration = Metrics.CreateHistogram(
        "thermalplant_writer_copy_duration_seconds", "Time to write one fetched batch (COPY and commit)",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });

    public static readonly Histogram Delay = Metrics.CreateHistogram(
        "thermalplant_writer_delay_seconds", "From a message's oldest sample's source time to its commit",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.01, 2, 16) });

    public static readonly Gauge StreamBytes = Metrics.CreateGauge(
        "thermalplant_writer_stream_bytes", "Bytes the stream holds (messages not yet acknowledged by every consumer)");

    public static readonly Gauge StreamMessages = Metrics.CreateGauge(
        "thermalplant_writer_stream_messages", "Messages the stream holds");

    public static readonly Gauge StreamOldestAge = Metrics.CreateGauge(
        "thermalplant_writer_stream_oldest_age_seconds", "Age of the stream's oldest message; at MaxAge it is removed unwritten");

    public static readonly Gauge StreamLimitRatio = Metrics.CreateGauge(
        "thermalplant_writer_stream_limit_ratio", "The stream's fill as a share of its limit: bytes of MaxBytes (at 1 publishes are refused), age of MaxAge (at 1 messages are removed)", "limit");

    public static readonly Gauge ConsumerPending = Metrics.CreateGauge(
        "thermalplant_writer_consumer_pending_messages", "Messages a consumer has not yet been delivered", "consumer");

    public static readonly Gauge ConsumerAckPending = Metrics.CreateGauge(
        "thermalplant_writer_consumer_ack_pending_messages", "Messages delivered to a consumer's instances and not yet acknowledged", "consumer");
}
