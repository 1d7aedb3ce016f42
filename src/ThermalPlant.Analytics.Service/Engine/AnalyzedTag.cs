using Prometheus;
using ThermalPlant.Analytics.Service.Server;

namespace ThermalPlant.Analytics.Service.Engine;

/// <summary>One analysed tag: its detector, its served variables and what was last said about it. Used under the engine's lock only.</summary>
internal sealed class AnalyzedTag(string path, string endpoint, IScalarDetector detector, TagNodes nodes, Gauge.Child? scoreSeries, PlantSignal signal, int band)
{
    /// <summary>The tag path ('/'-separated), the key of its state in the state file.</summary>
    public string Path { get; } = path;

    /// <summary>The endpoint URL it comes from (a metrics label).</summary>
    public string Endpoint { get; } = endpoint;

    public IScalarDetector Detector { get; set; } = detector;

    public TagNodes Nodes { get; } = nodes;

    /// <summary>The per-tag score series, when per-tag metrics are on.</summary>
    public Gauge.Child? ScoreSeries { get; } = scoreSeries;

    /// <summary>The endpoint's count of samples scored (looked up once, not per sample).</summary>
    public Counter.Child ScoredSeries { get; } = AnalyticsMetrics.SamplesScored.WithLabels(endpoint);

    /// <summary>The endpoint's count of detections.</summary>
    public Counter.Child DetectionSeries { get; } = AnalyticsMetrics.Detections.WithLabels(endpoint);

    /// <summary>What the tag is to the plant's diagnosers.</summary>
    public PlantSignal Signal { get; } = signal;

    /// <summary>The spectrum band's index, for <see cref="PlantSignal.SpectrumBand"/>.</summary>
    public int Band { get; } = band;

    /// <summary>The latest score; the state a new tag starts in is learning.</summary>
    public AnomalyScore Last { get; set; } = new(0, AnomalyState.Learning);

    /// <summary>Whether a score was served since the tag was added (the first one always sets the State variable).</summary>
    public bool Scored { get; set; }
}
