using Prometheus;

namespace ThermalPlant.Analytics.Service;

/// <summary>The analytics service's Prometheus metrics (<c>thermalplant_analytics_*</c>).</summary>
internal static class AnalyticsMetrics
{
    public static readonly Counter SamplesScored = Metrics.CreateCounter("thermalplant_analytics_samples_scored_total", "Samples given to a tag's detector, by endpoint", "endpoint");

    public static readonly Counter SamplesSkipped = Metrics.CreateCounter("thermalplant_analytics_samples_skipped_total", "Samples not scored, by reason (bad status, not a number)", "endpoint", "reason");

    public static readonly Counter Detections = Metrics.CreateCounter("thermalplant_analytics_detections_total", "Times a tag turned anomalous, by endpoint", "endpoint");

    public static readonly Gauge AnomalyScore = Metrics.CreateGauge("thermalplant_analytics_anomaly_score", "Latest anomaly score of each tag (0..1); per tag only with Analytics:PerTagScoreMetrics", "tag");

    public static readonly Gauge MaxAnomalyScore = Metrics.CreateGauge("thermalplant_analytics_max_anomaly_score", "Highest latest anomaly score over all tags (0..1)");

    public static readonly Gauge Tags = Metrics.CreateGauge("thermalplant_analytics_tags", "Tags analysed, by detector state (learning, normal, anomalous)", "state");

    public static readonly Gauge DiagnosisSeverity = Metrics.CreateGauge("thermalplant_analytics_diagnosis_severity", "Severity of each component's diagnosis: 0 none, 1 advisory, 2 warning, 3 critical", "component", "fault_type");

    public static readonly Gauge DiagnosisInfo = Metrics.CreateGauge("thermalplant_analytics_diagnosis_info", "1 for each active diagnosis, with its evidence as a label (refreshed at most once a minute while unchanged)", "component", "fault_type", "evidence");

    public static readonly Gauge TimeToAlarm = Metrics.CreateGauge("thermalplant_analytics_diagnosis_time_to_alarm_seconds", "Estimated time until a diagnosed fault reaches its alarm level, where a trend gives one", "component", "fault_type");

    public static readonly Counter Diagnoses = Metrics.CreateCounter("thermalplant_analytics_diagnoses_total", "Diagnoses raised or changed in severity, by component, fault type and severity", "component", "fault_type", "severity");

    public static readonly Gauge BearingRiseDb = Metrics.CreateGauge("thermalplant_analytics_bearing_rise_db", "Smoothed rise of the bearing's fault orders over the machine's baseline at its speed, dB; NaN until a baseline is learned");

    public static readonly Counter CostSeconds = Metrics.CreateCounter("thermalplant_analytics_cost_seconds_total", "Time spent in detectors and diagnosers (one thread at a time, so CPU time), by stage: detectors, diagnosers (the scalar signals), audio (the spectrum bands, the bearing)", "stage");

    public static readonly Gauge Connected = Metrics.CreateGauge("thermalplant_analytics_endpoint_connected", "1 while the endpoint's session works", "endpoint");

    public static readonly Gauge Variables = Metrics.CreateGauge("thermalplant_analytics_endpoint_variables", "Numeric variables subscribed on the endpoint", "endpoint");

    public static readonly Counter StateSaves = Metrics.CreateCounter("thermalplant_analytics_state_saves_total", "Writes of the state file, by result", "result");

    public static readonly Gauge StateBytes = Metrics.CreateGauge("thermalplant_analytics_state_bytes", "Size of the state file last written");
}
