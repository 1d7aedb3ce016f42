using System.Diagnostics;
using ThermalPlant.Analytics;
using ThermalPlant.Analytics.Scalar;

namespace ThermalPlant.Cli.Analytics;

/// <summary>
/// The default scalar detector on every tag the analytics service would score (the four scalars and each spectrum
/// band), fed the same data changes as the diagnoser; reports each tag's entry into the anomalous state.
/// </summary>
internal sealed class ScalarWatch
{
    private readonly Dictionary<string, Tag> _tags = new(StringComparer.Ordinal);
    private long _ticks;

    /// <summary>Raised when a tag turns anomalous (not again while it stays so).</summary>
    public event Action<string>? Alarm;

    /// <summary>Samples scored.</summary>
    public long Samples { get; private set; }

    /// <summary>Time spent scoring.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(0, _ticks);

    /// <summary>Bytes of learned state over every tag, as the detectors write it.</summary>
    public long StateBytes()
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        foreach (var tag in _tags.Values) tag.Detector.WriteState(writer);
        writer.Flush();
        return stream.Length;
    }

    /// <summary>Tags watched.</summary>
    public int Tags => _tags.Count;

    public void Update(string name, DateTime timestampUtc, double value)
    {
        if (!_tags.TryGetValue(name, out var tag))
        {
            tag = new Tag(ScalarDetectors.Create(ScalarDetectors.DefaultName));
            _tags.Add(name, tag);
        }
        var start = Stopwatch.GetTimestamp();
        var score = tag.Detector.Update(timestampUtc, value);
        _ticks += Stopwatch.GetTimestamp() - start;
        Samples++;
        var anomalous = score.State == AnomalyState.Anomalous;
        if (anomalous && !tag.Anomalous) Alarm?.Invoke(name);
        tag.Anomalous = anomalous;
    }

    private sealed class Tag(ScalarDetector detector)
    {
        public ScalarDetector Detector { get; } = detector;

        public bool Anomalous { get; set; }
    }
}
