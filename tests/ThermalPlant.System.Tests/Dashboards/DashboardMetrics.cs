namespace ThermalPlant.System.Tests.Dashboards;

/// <summary>
/// The metric names the dashboards may use. <see cref="ThermalPlant"/> is the one list of the suite's own metrics the
/// dashboards expect: the services must serve these names (the sensors service's are checked against the running
/// service; the OPC UA server's and the scraper's are the contract for those services). The exporter families are
/// what the deployed exporter versions (docker-compose.yaml) serve.
/// </summary>
internal static class DashboardMetrics
{
    /// <summary>The suite's own metrics, by service (the name after thermalplant_ is the service).</summary>
    public static readonly IReadOnlyList<string> ThermalPlant =
    [
        // Sensors service (src/ThermalPlant.Sensors).
        "thermalplant_sensors_samples_total",          // counter {sensor, result}: result is "good" or the fault's reason
        "thermalplant_sensors_value",                  // gauge {sensor}: latest good value of each scalar sensor
        // OPC UA server.
        "thermalplant_opcserver_variables",            // gauge: variables in the address space
        "thermalplant_opcserver_variables_bad",        // gauge: variables whose current status is Bad (alert OpcUaValuesBad)
        "thermalplant_opcserver_sessions",             // gauge: open client sessions
        "thermalplant_opcserver_monitored_items",      // gauge: monitored items over all subscriptions
        "thermalplant_opcserver_polls_total",          // counter {result}: polls of the sensors API through the DMZ
        // Scraper.
        "thermalplant_scraper_values_received_total",  // counter {endpoint}: values received from subscriptions and polls
        "thermalplant_scraper_values_written_total",   // counter: values stored in the database
        "thermalplant_scraper_backfilled_values_total", // counter {endpoint}: values read back from OPC UA history after a gap
        "thermalplant_scraper_queue_depth",            // gauge: values waiting in memory (alert ScraperBacklogGrowing)
        "thermalplant_scraper_spill_bytes",            // gauge: bytes in the spill file (alert ScraperSpilling)
        "thermalplant_scraper_copy_duration_seconds",  // histogram: duration of one COPY batch
        "thermalplant_scraper_copy_rows",              // histogram: rows per COPY batch
        "thermalplant_scraper_lag_seconds",            // gauge {endpoint}: age of the newest stored value
        // Analytics service (src/ThermalPlant.Analytics.Service, docs/analytics.md).
        "thermalplant_analytics_samples_scored_total",  // counter {endpoint}: samples given to the detectors
        "thermalplant_analytics_detections_total",      // counter {endpoint}: tags turning anomalous
        "thermalplant_analytics_anomaly_score",         // gauge {tag}: latest score of each tag
        "thermalplant_analytics_max_anomaly_score",     // gauge: highest latest score
        "thermalplant_analytics_tags",                  // gauge {state}: tags learning, normal, anomalous
        "thermalplant_analytics_diagnosis_severity",    // gauge {component, fault_type}: 1 advisory .. 3 critical (alerts MachineFault*)
        "thermalplant_analytics_diagnosis_info",        // gauge {component, fault_type, evidence}: 1 per active diagnosis
        "thermalplant_analytics_diagnosis_time_to_alarm_seconds", // gauge {component, fault_type}: estimated time to the alarm level
        "thermalplant_analytics_cost_seconds_total",    // counter {stage}: time in detectors and diagnosers
    ];

    /// <summary>Metrics every .NET service serves through prometheus-net (process, GC, and HTTP from UseHttpMetrics).</summary>
    public static readonly IReadOnlyList<string> PrometheusNet =
    [
        "process_cpu_seconds_total", "process_working_set_bytes", "process_private_memory_bytes", "process_virtual_memory_bytes",
        "process_open_handles", "process_num_threads", "process_start_time_seconds",
        "dotnet_collection_count_total", "dotnet_total_memory_bytes",
        "http_requests_received_total", "http_requests_in_progress", "http_request_duration_seconds",
    ];

    /// <summary>Metric families of the exporters and of Prometheus itself that the dashboards may use.</summary>
    public static readonly IReadOnlyList<string> Exporters =
    [
        // Prometheus: per target and from the rule evaluation.
        "up", "scrape_duration_seconds", "scrape_samples_scraped", "ALERTS", "ALERTS_FOR_STATE",
        // node-exporter.
        "node_cpu_seconds_total", "node_memory_MemAvailable_bytes", "node_memory_MemTotal_bytes", "node_memory_MemFree_bytes",
        "node_filesystem_avail_bytes", "node_filesystem_size_bytes", "node_load1", "node_load5", "node_load15",
        "node_hwmon_temp_celsius", "node_thermal_zone_temp", "node_network_receive_bytes_total", "node_network_transmit_bytes_total",
        "node_disk_read_bytes_total", "node_disk_written_bytes_total", "node_boot_time_seconds", "node_time_seconds",
        // cAdvisor.
        "container_cpu_usage_seconds_total", "container_memory_working_set_bytes", "container_memory_usage_bytes",
        "container_spec_memory_limit_bytes", "container_network_receive_bytes_total", "container_network_transmit_bytes_total",
        "container_fs_usage_bytes", "container_last_seen",
        // postgres-exporter.
        "pg_up", "pg_database_size_bytes", "pg_stat_activity_count", "pg_settings_max_connections",
        "pg_stat_database_xact_commit", "pg_stat_database_xact_rollback", "pg_stat_database_tup_inserted",
        "pg_stat_database_tup_updated", "pg_stat_database_tup_deleted", "pg_stat_database_deadlocks", "pg_stat_database_numbackends",
    ];

    // A histogram or summary family is queried through its series; counters carry _total in their family name already.
    private static readonly string[] SeriesSuffixes = ["_bucket", "_sum", "_count"];

    /// <summary>Whether <paramref name="name"/> is a series of one of <paramref name="families"/>.</summary>
    public static bool IsSeriesOf(string name, IEnumerable<string> families) =>
        families.Any(family => name == family || SeriesSuffixes.Any(suffix => name == family + suffix));
}
