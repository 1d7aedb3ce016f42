using System.Diagnostics;
using Microsoft.Extensions.Options;
using ThermalPlant.Analytics.Diagnosis;
using ThermalPlant.Analytics.Service.Server;
using ThermalPlant.Analytics.Service.Sources;
using ThermalPlant.Analytics.Service.State;
using ThermalPlant.OpcUa.Types;
using DiagnosisRecord = ThermalPlant.Analytics.Diagnosis.Diagnosis;

namespace ThermalPlant.Analytics.Service.Engine;

/// <summary>A value of an analysed tag as it arrived, with the tag it belongs to.</summary>
internal readonly record struct TagValue(AnalyzedTag Tag, DataValue Value);

/// <summary>
/// Scores every analysed tag's values with its own detector, gives the plant's signals to the plant diagnoser, serves
/// the scores and the diagnoses, and keeps their state for the state file. Values of all endpoints pass through one
/// lock, so detectors and the diagnoser are never called from two threads at once and the time spent in them is CPU time.
/// </summary>
internal sealed partial class AnalyticsEngine
{
    /// <summary>The name of the plant diagnoser's state in the state file.</summary>
    public const string PlantDiagnoserName = "plant";

    private static readonly TimeSpan EvidenceMetricRefresh = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan EvidenceRefresh = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly AnalyticsNodes _nodes;
    private readonly Func<IScalarDetector> _newDetector;
    private readonly AnalyticsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AnalyticsEngine> _logger;
    private readonly Dictionary<string, AnalyzedTag> _tags = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _pendingDetectorState = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ServedDiagnosis> _diagnoses = new(StringComparer.Ordinal);
    private readonly int[] _stateCounts = new int[3];
    private readonly PlantDiagnoser? _diagnoser;
    private long _lastEvidenceRefresh;

    public AnalyticsEngine(AnalyticsNodes nodes, Func<IScalarDetector> newDetector, IOptions<AnalyticsOptions> options, TimeProvider time, ILogger<AnalyticsEngine> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _nodes = nodes;
        _newDetector = newDetector;
        _options = options.Value;
        _time = time;
        _logger = logger;
        if (!_options.Plant.Enabled) return;
        _diagnoser = new PlantDiagnoser(_options.Diagnosis);
        _diagnoser.Changed += diagnosis => ApplyDiagnosisLocked(diagnosis, _diagnoser.Clock);
        // Every component is served from the start, healthy until a diagnoser says otherwise.
        lock (_lock)
        {
            foreach (var diagnosis in _diagnoser.Diagnoses) ApplyDiagnosisLocked(diagnosis, _time.GetUtcNow().UtcDateTime);
        }
    }

    /// <summary>
    /// Raised, under the engine's lock, when a component's diagnosis changes state: a fault appears, changes type or
    /// severity, or clears (the new diagnosis then has <see cref="FaultSeverity.None"/>). The first argument is the
    /// diagnosis before, null when the component had none. Where OPC UA alarms are raised for diagnoses.
    /// </summary>
    public event Action<DiagnosisRecord?, DiagnosisRecord>? DiagnosisChanged;

    /// <summary>Tags analysed now.</summary>
    public int TagCount
    {
        get
        {
            lock (_lock) return _tags.Count;
        }
    }

    /// <summary>The diagnosis served for each component now.</summary>
    public IReadOnlyList<DiagnosisRecord> Diagnoses
    {
        get
        {
            lock (_lock) return [.. _diagnoses.Values.Select(d => d.Current)];
        }
    }

    /// <summary>
    /// Takes the saved states: the plant diagnoser's at once, each detector's when its tag is first seen. Returns the
    /// number of diagnosers restored.
    /// </summary>
    public int Restore(SavedState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        lock (_lock)
        {
            foreach (var (path, block) in state.Detectors) _pendingDetectorState[path] = block;
            if (_diagnoser is null || !state.Diagnosers.TryGetValue(PlantDiagnoserName, out var saved)) return 0;
            try
            {
                _diagnoser.ReadState(new MemoryStream(saved, writable: false));
                return 1;
            }
            catch (InvalidDataException ex)
            {
                LogStateUnusable(PlantDiagnoserName, ex.Message);
                return 0;
            }
        }
    }

    /// <summary>
    /// The tag of <paramref name="variable"/> from <paramref name="endpoint"/>: the one known by its path, or a new one
    /// (with its served variables, and its detector's saved state when there is one). Null when another endpoint's
    /// variable has the same path: that one keeps it (give one of the sources a <c>Prefix</c>).
    /// </summary>
    public AnalyzedTag? Register(string endpoint, FoundVariable variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        lock (_lock)
        {
            if (_tags.TryGetValue(variable.Path, out var known))
            {
                if (known.Endpoint == endpoint) return known;
                LogPathTaken(variable.Path, endpoint, known.Endpoint);
                return null;
            }
            var detector = _newDetector();
            if (_pendingDetectorState.Remove(variable.Path, out var block))
            {
                try
                {
                    using var reader = new BinaryReader(new MemoryStream(block, writable: false));
                    detector.ReadState(reader);
                }
                catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException)
                {
                    LogStateUnusable(variable.Path, ex.Message);
                    detector = _newDetector();
                }
            }
            var (signal, band) = _diagnoser is null ? (PlantSignal.None, 0) : _options.Plant.Classify(variable.Path);
            var tag = new AnalyzedTag(variable.Path, endpoint, detector, _nodes.AddTag(variable.Path, variable.Path),
                _options.PerTagScoreMetrics ? AnalyticsMetrics.AnomalyScore.WithLabels(variable.Path) : null, signal, band);
            _tags[variable.Path] = tag;
            _stateCounts[(int)AnomalyState.Learning]++;
            return tag;
        }
    }

    /// <summary>Scores values that arrived together, in their order, serves the scores, and gives the plant's signals to the diagnoser.</summary>
    public void Score(IReadOnlyList<TagValue> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) return;
        var now = _time.GetUtcNow().UtcDateTime;
        lock (_lock)
        {
            // Only the detectors' and the diagnoser's own calls are timed: serving the results is the server's cost.
            // The spectrum bands' diagnosis (the bearing) is its own stage, so that the audio's share of a core is measured.
            long detecting = 0, diagnosing = 0, hearing = 0, scored = 0;
            foreach (var (tag, value) in values)
            {
                if (tag.Signal == PlantSignal.SpectrumBand) hearing += Diagnose(tag, value, now);
                else if (tag.Signal != PlantSignal.None) diagnosing += Diagnose(tag, value, now);
                if (value.Status.IsBad)
                {
                    AnalyticsMetrics.SamplesSkipped.WithLabels(tag.Endpoint, "bad_status").Inc();
                    continue;
                }
                if (!value.Value.TryGetNumber(out var number) || value.Value.IsArray)
                {
                    AnalyticsMetrics.SamplesSkipped.WithLabels(tag.Endpoint, "not_a_number").Inc();
                    continue;
                }
                var source = value.SourceTimestamp ?? value.ServerTimestamp ?? now;
                var started = Stopwatch.GetTimestamp();
                var score = tag.Detector.Update(source, number);
                detecting += Stopwatch.GetTimestamp() - started;
                var stateChanged = !tag.Scored || score.State != tag.Last.State;
                if (score.State != tag.Last.State)
                {
                    _stateCounts[(int)tag.Last.State]--;
                    _stateCounts[(int)score.State]++;
                    if (score.State == AnomalyState.Anomalous) tag.DetectionSeries.Inc();
                }
                tag.Last = score;
                tag.Scored = true;
                AnalyticsNodes.SetScore(tag.Nodes, score, stateChanged, source, now);
                tag.ScoreSeries?.Set(score.Score);
                tag.ScoredSeries.Inc();
                scored++;
            }
            if (scored > 0) AnalyticsMetrics.CostSeconds.WithLabels("detectors").Inc(detecting / (double)Stopwatch.Frequency);
            if (diagnosing > 0) AnalyticsMetrics.CostSeconds.WithLabels("diagnosers").Inc(diagnosing / (double)Stopwatch.Frequency);
            if (hearing > 0) AnalyticsMetrics.CostSeconds.WithLabels("audio").Inc(hearing / (double)Stopwatch.Frequency);
            RefreshEvidence();
        }
    }

    /// <summary>Gives one of the plant's signals to the diagnoser (Bad values too: a Bad thermocouple is a finding); returns the ticks it took.</summary>
    private long Diagnose(AnalyzedTag tag, DataValue value, DateTime now)
    {
        var started = Stopwatch.GetTimestamp();
        var source = value.SourceTimestamp ?? value.ServerTimestamp ?? now;
        var number = value.Value.TryGetNumber(out var n) && !value.Value.IsArray ? n : double.NaN;
        var status = value.Status.Code;
        switch (tag.Signal)
        {
            case PlantSignal.UpperTemperature:
                _diagnoser!.OnUpperTemperature(source, number, status);
                break;
            case PlantSignal.LowerTemperature:
                _diagnoser!.OnLowerTemperature(source, number, status);
                break;
            case PlantSignal.ShaftSpeed:
                _diagnoser!.OnShaftSpeed(source, number, status);
                break;
            case PlantSignal.SupplyVoltage:
                _diagnoser!.OnSupplyVoltage(source, number, status);
                break;
            case PlantSignal.SpectrumBand:
                _diagnoser!.OnSpectrumBand(source, tag.Band, number, status);
                break;
        }
        return Stopwatch.GetTimestamp() - started;
    }

    // A change of state reaches the served variables at once (the diagnoser's Changed event); evidence and trends,
    // which move with every spectrum, are taken over once a second.
    private void RefreshEvidence()
    {
        if (_diagnoser is null || _time.GetElapsedTime(_lastEvidenceRefresh) < EvidenceRefresh) return;
        _lastEvidenceRefresh = _time.GetTimestamp();
        foreach (var diagnosis in _diagnoser.Diagnoses) ApplyDiagnosisLocked(diagnosis, _diagnoser.Clock);
    }

    /// <summary>The endpoint of <paramref name="tags"/> cannot be read: their served values turn BadCommunicationError.</summary>
    public void MarkUnreachable(IEnumerable<AnalyzedTag> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var now = _time.GetUtcNow().UtcDateTime;
        lock (_lock)
        {
            foreach (var tag in tags) AnalyticsNodes.MarkUnreachable(tag.Nodes, now);
        }
    }

    /// <summary>
    /// Serves <paramref name="diagnosis"/> for its component (under the lock). A change of state (fault type or
    /// severity) goes through <see cref="OnDiagnosisChanged"/>; a change of evidence or trend alone only updates the
    /// served figures.
    /// </summary>
    private void ApplyDiagnosisLocked(DiagnosisRecord diagnosis, DateTime sourceUtc)
    {
        ArgumentNullException.ThrowIfNull(diagnosis);
        var now = _time.GetUtcNow().UtcDateTime;
        if (sourceUtc == default) sourceUtc = now;
        if (!_diagnoses.TryGetValue(diagnosis.Component, out var served))
        {
            served = new ServedDiagnosis(_nodes.AddComponent(diagnosis.Component), diagnosis);
            _diagnoses[diagnosis.Component] = served;
            if (diagnosis.Severity != FaultSeverity.None) OnDiagnosisChanged(served, null, diagnosis, sourceUtc, now);
            else AnalyticsNodes.SetDiagnosis(served.Nodes, diagnosis, sourceUtc, now);
            return;
        }
        var previous = served.Current;
        served.Current = diagnosis;
        if (previous.Severity != diagnosis.Severity || previous.FaultType != diagnosis.FaultType)
        {
            OnDiagnosisChanged(served, previous, diagnosis, sourceUtc, now);
            return;
        }
        if (previous.Evidence == diagnosis.Evidence && previous.TimeToAlarm == diagnosis.TimeToAlarm && previous.TimeToAlarmUncertainty == diagnosis.TimeToAlarmUncertainty) return;
        AnalyticsNodes.SetDiagnosis(served.Nodes, diagnosis, sourceUtc, now);
        SetTrendMetric(diagnosis);
        if (diagnosis.Severity != FaultSeverity.None && now - served.EvidenceMetricSet >= EvidenceMetricRefresh) SetEvidenceMetric(served, diagnosis, now);
    }

    /// <summary>Every detector's state (and the saved states of tags not seen since the start), for the state file.</summary>
    public Dictionary<string, byte[]> DetectorStates()
    {
        lock (_lock)
        {
            var states = new Dictionary<string, byte[]>(_pendingDetectorState, StringComparer.Ordinal);
            using var buffer = new MemoryStream();
            using var writer = new BinaryWriter(buffer);
            foreach (var (path, tag) in _tags)
            {
                buffer.SetLength(0);
                tag.Detector.WriteState(writer);
                writer.Flush();
                states[path] = buffer.ToArray();
            }
            return states;
        }
    }

    /// <summary>The plant diagnoser's state, for the state file; empty when the plant is not diagnosed.</summary>
    public Dictionary<string, byte[]> DiagnoserStates()
    {
        var states = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (_diagnoser is null) return states;
        lock (_lock)
        {
            using var buffer = new MemoryStream();
            _diagnoser.WriteState(buffer);
            states[PlantDiagnoserName] = buffer.ToArray();
        }
        return states;
    }

    /// <summary>Sets the gauges that summarise all tags (called before each scrape of /metrics).</summary>
    public void Collect()
    {
        lock (_lock)
        {
            AnalyticsMetrics.Tags.WithLabels("learning").Set(_stateCounts[(int)AnomalyState.Learning]);
            AnalyticsMetrics.Tags.WithLabels("normal").Set(_stateCounts[(int)AnomalyState.Normal]);
            AnalyticsMetrics.Tags.WithLabels("anomalous").Set(_stateCounts[(int)AnomalyState.Anomalous]);
            var max = 0.0;
            foreach (var tag in _tags.Values) max = Math.Max(max, tag.Last.Score);
            AnalyticsMetrics.MaxAnomalyScore.Set(max);
            if (_diagnoser is not null) AnalyticsMetrics.BearingRiseDb.Set(_diagnoser.BearingRiseDb);
        }
    }

    /// <summary>
    /// The one place a diagnosis changes state: the served variables, the metrics, the log, then
    /// <see cref="DiagnosisChanged"/>.
    /// </summary>
    private void OnDiagnosisChanged(ServedDiagnosis served, DiagnosisRecord? previous, DiagnosisRecord current, DateTime sourceUtc, DateTime now)
    {
        AnalyticsNodes.SetDiagnosis(served.Nodes, current, sourceUtc, now);
        if (previous is { Severity: not FaultSeverity.None })
        {
            AnalyticsMetrics.DiagnosisSeverity.RemoveLabelled(previous.Component, previous.FaultType);
            AnalyticsMetrics.TimeToAlarm.RemoveLabelled(previous.Component, previous.FaultType);
        }
        if (served.EvidenceLabels is { } labels) AnalyticsMetrics.DiagnosisInfo.RemoveLabelled(labels);
        served.EvidenceLabels = null;
        if (current.Severity == FaultSeverity.None)
        {
            if (previous is not null) LogCleared(current.Component, previous.FaultType, current.Evidence);
        }
        else
        {
            AnalyticsMetrics.DiagnosisSeverity.WithLabels(current.Component, current.FaultType).Set((int)current.Severity);
            AnalyticsMetrics.Diagnoses.WithLabels(current.Component, current.FaultType, SeverityName(current.Severity)).Inc();
            SetTrendMetric(current);
            SetEvidenceMetric(served, current, now);
            LogDiagnosed(current.Component, current.FaultType, current.Severity, current.Evidence, current.TimeToAlarm?.TotalHours);
        }
        DiagnosisChanged?.Invoke(previous, current);
    }

    private static void SetTrendMetric(DiagnosisRecord diagnosis)
    {
        if (diagnosis.Severity == FaultSeverity.None) return;
        if (diagnosis.TimeToAlarm is { } tta) AnalyticsMetrics.TimeToAlarm.WithLabels(diagnosis.Component, diagnosis.FaultType).Set(tta.TotalSeconds);
        else AnalyticsMetrics.TimeToAlarm.RemoveLabelled(diagnosis.Component, diagnosis.FaultType);
    }

    // The evidence is a label, so each new text is a new series: refreshed on a change of state and at most once a
    // minute otherwise, which keeps Prometheus's series churn small while the alert table still shows recent figures.
    private static void SetEvidenceMetric(ServedDiagnosis served, DiagnosisRecord diagnosis, DateTime now)
    {
        if (served.EvidenceLabels is { } old) AnalyticsMetrics.DiagnosisInfo.RemoveLabelled(old);
        served.EvidenceLabels = [diagnosis.Component, diagnosis.FaultType, diagnosis.Evidence];
        AnalyticsMetrics.DiagnosisInfo.WithLabels(served.EvidenceLabels).Set(1);
        served.EvidenceMetricSet = now;
    }

    internal static string SeverityName(FaultSeverity severity) => severity switch
    {
        FaultSeverity.Advisory => "advisory",
        FaultSeverity.Warning => "warning",
        FaultSeverity.Critical => "critical",
        _ => "none",
    };

    private sealed class ServedDiagnosis(DiagnosisNodes nodes, DiagnosisRecord current)
    {
        public DiagnosisNodes Nodes { get; } = nodes;

        public DiagnosisRecord Current { get; set; } = current;

        public string[]? EvidenceLabels { get; set; }

        public DateTime EvidenceMetricSet { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tag path {Path} of {Endpoint} is already analysed from {Other}; this variable is not analysed (give one of the sources a Prefix)")]
    private partial void LogPathTaken(string path, string endpoint, string other);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Saved detector state of {Tag} cannot be used ({Reason}); the tag learns again from its next values")]
    private partial void LogStateUnusable(string tag, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Diagnosis: {Component} has {FaultType} ({Severity}): {Evidence}; estimated hours to alarm level: {HoursToAlarm}")]
    private partial void LogDiagnosed(string component, string faultType, FaultSeverity severity, string evidence, double? hoursToAlarm);

    [LoggerMessage(Level = LogLevel.Information, Message = "Diagnosis cleared: {Component} no longer shows {FaultType} ({Evidence})")]
    private partial void LogCleared(string component, string faultType, string evidence);
}
