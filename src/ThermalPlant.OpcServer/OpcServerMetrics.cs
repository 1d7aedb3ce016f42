using Prometheus;

namespace ThermalPlant.OpcServer;

/// <summary>The OPC UA server service's Prometheus metrics (<c>thermalplant_opcserver_*</c>).</summary>
internal static class OpcServerMetrics
{
    public static readonly Counter Polls = Metrics.CreateCounter("thermalplant_opcserver_polls_total", "Polls of /readings through the DMZ, by group and result", "group", "result");

    public static readonly Histogram PollDuration = Metrics.CreateHistogram("thermalplant_opcserver_poll_duration_seconds", "Time of one poll of /readings, retries included", new HistogramConfiguration
    {
        Buckets = Histogram.ExponentialBuckets(0.001, 2, 14),
    });

    public static readonly Gauge CircuitState = Metrics.CreateGauge("thermalplant_opcserver_circuit_state", "DMZ circuit breaker: 0 closed, 1 open, 2 half-open");

    public static readonly Counter CatalogChanges = Metrics.CreateCounter("thermalplant_opcserver_catalog_changes_total", "Variables added and removed after catalog changes", "change");

    public static readonly Gauge Variables = Metrics.CreateGauge("thermalplant_opcserver_variables", "Plant variables served");

    public static readonly Gauge VariablesBad = Metrics.CreateGauge("thermalplant_opcserver_variables_bad", "Plant variables whose status is Bad");

    public static readonly Gauge Sessions = Metrics.CreateGauge("thermalplant_opcserver_sessions", "OPC UA sessions open");

    public static readonly Gauge Connections = Metrics.CreateGauge("thermalplant_opcserver_connections", "OPC UA connections open");

    public static readonly Counter ConnectionsRefused = Metrics.CreateCounter("thermalplant_opcserver_connections_refused_total", "OPC UA connections refused or closed by the connection limits, by reason (address_limit, server_full, given_up_for_room, handshake_timeout)", "reason");

    public static readonly Gauge Subscriptions = Metrics.CreateGauge("thermalplant_opcserver_subscriptions", "OPC UA subscriptions alive");

    public static readonly Gauge MonitoredItems = Metrics.CreateGauge("thermalplant_opcserver_monitored_items", "OPC UA monitored items");

    public static readonly Histogram SampleAge = Metrics.CreateHistogram("thermalplant_opcserver_sample_age_seconds", "Age of a new sample when it reaches its variable (sensor sample to OPC UA value, the publish latency before the publishing interval)", new HistogramConfiguration
    {
        Buckets = Histogram.ExponentialBuckets(0.005, 2, 12),
    });
}
