namespace ThermalPlant.Analytics.Scalar;

/// <summary>
/// The baseline every other detector is measured against (NAB's "windowed Gaussian"): the mean and standard deviation
/// of the last <see cref="ScalarDetectorOptions.GaussianWindow"/> samples, and a score of 1 - P(|Z| &gt;= |z|) for the
/// new sample. No calibration, no damping of repeats: it fires on every sample far from the window's mean.
/// </summary>
public sealed class WindowedGaussianDetector : ScalarDetector
{
    /// <summary>The largest window: 480 doubles keep the state within 4 KB.</summary>
    public const int MaxWindow = 480;

    internal const byte StateKind = 2;

    private readonly double[] _window;
    private int _count, _next, _sinceRecompute;
    private double _sum, _sumSquares;

    /// <summary>Makes a baseline with the given settings.</summary>
    public WindowedGaussianDetector(ScalarDetectorOptions options)
        : base(StateKind, options)
    {
        _window = new double[options.GaussianWindow];
    }

    /// <inheritdoc />
    public override bool IsLearning => _count < Math.Min(Options.LearningSamples, _window.Length);

    private protected override AnomalyScore Score(DateTime timestampUtc, double elapsedSeconds, double value)
    {
        var learning = IsLearning;
        var score = 0.0;
        if (!learning)
        {
            var mean = _sum / _count;
            var variance = Math.Max(0, (_sumSquares / _count) - (mean * mean));
            var sigma = Math.Sqrt(variance) + (1e-9 * Math.Abs(mean)) + 1e-12;
            score = 1 - Math.Pow(10, -Tail.TwoSidedSurprise((value - mean) / sigma));
        }
        Add(value);
        if (learning) return new AnomalyScore(0, AnomalyState.Learning);
        return new AnomalyScore(score, score >= Options.AlarmThreshold ? AnomalyState.Anomalous : AnomalyState.Normal);
    }

    private void Add(double value)
    {
        if (_count == _window.Length)
        {
            var old = _window[_next];
            _sum -= old;
            _sumSquares -= old * old;
        }
        else
        {
            _count++;
        }
        _window[_next] = value;
        _next = (_next + 1) % _window.Length;
        _sum += value;
        _sumSquares += value * value;
        // Running sums drift by rounding; recomputing them once per window keeps the cost amortised O(1).
        if (++_sinceRecompute >= _window.Length)
        {
            _sinceRecompute = 0;
            (_sum, _sumSquares) = (0, 0);
            for (var i = 0; i < _count; i++)
            {
                _sum += _window[i];
                _sumSquares += _window[i] * _window[i];
            }
        }
    }

    private protected override void WriteModel(BinaryWriter writer)
    {
        writer.Write(_count);
        writer.Write(_next);
        writer.Write(_sinceRecompute);
        writer.Write(_sum);
        writer.Write(_sumSquares);
        for (var i = 0; i < _count; i++) writer.Write(_window[i]);
    }

    private protected override void ReadModel(BinaryReader reader)
    {
        var count = reader.ReadInt32();
        var next = reader.ReadInt32();
        var sinceRecompute = reader.ReadInt32();
        if (count < 0 || count > _window.Length || next < 0 || next >= _window.Length || sinceRecompute < 0 || sinceRecompute >= _window.Length)
            throw new InvalidDataException("windowed Gaussian state out of range");
        var sum = reader.ReadDouble();
        var sumSquares = reader.ReadDouble();
        var values = new double[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = reader.ReadDouble();
            if (!double.IsFinite(values[i])) throw new InvalidDataException("non-finite value in windowed Gaussian state");
        }
        if (!double.IsFinite(sum) || !double.IsFinite(sumSquares)) throw new InvalidDataException("non-finite sum in windowed Gaussian state");
        Array.Clear(_window);
        values.CopyTo(_window, 0);
        (_count, _next, _sinceRecompute, _sum, _sumSquares) = (count, next, sinceRecompute, sum, sumSquares);
    }
}
