using Prometheus;

namespace ThermalPlant.Scraper;

/// <summary>
/// The scraper's Prometheus metrics. The names are fixed: the Grafana dashboards and alert rules select them.
/// </summary>
internal static class ScraperMetrics
{
    public static readonly Counter ValuesReceived = Metrics.CreateCounter(
        "thermalplant_scraper_values_received_total", "Values received live from a source (OPC UA endpoint or Modbus device)", "endpoint");

    public static readonly Counter ValuesWritten = Metrics.CreateCounter(
        "thermalplant_scraper_values_written_total", "Samples committed to the database (rows new or already there)");

    public static readonly Counter Backfilled = Metrics.CreateCounter(
        "thermalplant_scraper_backfilled_values_total", "Values read from an endpoint's history to close a gap", "endpoint");

    public static readonly Gauge QueueDepth = Metrics.CreateGauge(
        "thermalplant_scraper_queue_depth", "Samples waiting for the database, in memory and in the spill file");

    public static readonly Gauge SpillBytes = Metrics.CreateGauge(
        "thermalplant_scraper_spill_bytes", "Size of the spill file");

    public static readonly Histogram CopyDuration = Metrics.CreateHistogram(
        "thermalplant_scraper_copy_duration_seconds", "Time to write one batch (COPY and commit)",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });

    public static readonly Histogram CopyRows = Metrics.CreateHistogram(
        "thermalplant_scraper_copy_rows", "Samples per batch written",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1, 4, 10) });

    public static readonly Gauge Lag = Metrics.CreateGauge(
        "thermalplant_scraper_lag_seconds", "Age of the newest value received from a source when it was queued", "endpoint");

    public static readonly Counter WriteFailures = Metrics.CreateCounter(
        "thermalplant_scraper_write_failures_total", "Batch writes that failed and are retried");

    public static readonly Counter Rejected = Metrics.CreateCounter(
        "thermalplant_scraper_rejected_samples_total", "Samples the database refused as data, kept in the rejected file");

    public static readonly Gauge Variables = Metrics.CreateGauge(
        "thermalplant_scraper_variables", "Variables collected from an endpoint", "endpoint");

    public static readonly Gauge SkippedVariables = Metrics.CreateGauge(
        "thermalplant_scraper_skipped_variables", "Variables found but not collected (not numeric or boolean)", "endpoint");

    public static readonly Gauge Connected = Metrics.CreateGauge(
        "thermalplant_scraper_source_connected", "1 while a source's connection works, 0 otherwise", "source");

    public static readonly Counter SourceFailures = Metrics.CreateCounter(
        "thermalplant_scraper_source_failures_total", "Failures of a source's connection loop (each followed by a backoff)", "source");

    public static readonly Gauge SourceState = Metrics.CreateGauge(
        "thermalplant_scraper_source_state", "1 for the state a source's connection is in (connecting, connected, backoff), 0 for the others", "source", "state");

    private static readonly string[] States = [SourceStates.Connecting, SourceStates.Connected, SourceStates.Backoff];

    /// <summary>Shows <paramref name="source"/> in <paramref name="state"/> (one of <see cref="SourceStates"/>), and sets its connected gauge to match.</summary>
    public static void SetState(string source, string state)
    {
        foreach (var each in States) SourceState.WithLabels(source, each).Set(each == state ? 1 : 0);
        Connected.WithLabels(source).Set(state == SourceStates.Connected ? 1 : 0);
    }
}

/// <summary>The values of the <c>state</c> label of <c>thermalplant_scraper_source_state</c>.</summary>
internal static class SourceStates
{
    /// <summary>Establishing the connection (or re-establishing a lost one).</summary>
    public const string Connecting = "connecting";

    /// <summary>The connection works.</summary>
    public const string Connected = "connected";

    /// <summary>Waiting after a failure before the next attempt.</summary>
    public const string Backoff = "backoff";
}
