using Prometheus;

namespace ThermalPlant.Scraper.Events;

/// <summary>The scraper's metrics of OPC UA events, next to <see cref="ScraperMetrics"/>'s of values.</summary>
internal static class EventMetrics
{
    public static readonly Counter Received = Metrics.CreateCounter(
        "thermalplant_scraper_events_received_total", "Events received live from an OPC UA endpoint", "endpoint");

    public static readonly Counter Backfilled = Metrics.CreateCounter(
        "thermalplant_scraper_events_backfilled_total", "Events read from an endpoint's event history to close a gap", "endpoint");

    public static readonly Counter Written = Metrics.CreateCounter(
        "thermalplant_scraper_events_written_total", "Events committed to the database (rows new or already there)");

    public static readonly Counter Rejected = Metrics.CreateCounter(
        "thermalplant_scraper_events_rejected_total", "Events the database refused as data (logged with their content, not stored)");

    public static readonly Counter WriteFailures = Metrics.CreateCounter(
        "thermalplant_scraper_event_write_failures_total", "Event batch writes that failed and are retried");

    public static readonly Gauge QueueDepth = Metrics.CreateGauge(
        "thermalplant_scraper_event_queue_depth", "Events waiting for the database, in memory and in the event spill file");

    public static readonly Gauge SpillBytes = Metrics.CreateGauge(
        "thermalplant_scraper_event_spill_bytes", "Size of the event spill file");
}
