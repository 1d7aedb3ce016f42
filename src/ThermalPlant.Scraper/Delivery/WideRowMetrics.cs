using Prometheus;

namespace ThermalPlant.Scraper.Delivery;

/// <summary>The wide-row sink's Prometheus metrics.</summary>
internal static class WideRowMetrics
{
    public static readonly Counter Written = Metrics.CreateCounter(
        "thermalplant_scraper_wide_rows_written_total", "Rows written into the wide-row table");

    public static readonly Counter Dropped = Metrics.CreateCounter(
        "thermalplant_scraper_wide_rows_dropped_total", "Wide rows dropped because more than MaxPendingRows waited for the database");

    public static readonly Gauge Pending = Metrics.CreateGauge(
        "thermalplant_scraper_wide_rows_pending", "Wide rows waiting for the database");
}
