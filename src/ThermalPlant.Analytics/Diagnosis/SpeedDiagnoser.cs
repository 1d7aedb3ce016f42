using System.Globalization;

namespace ThermalPlant.Analytics.Diagnosis;

/// <summary>
/// Speed hunting: the shaft speed through two first-order high-pass stages (a ramp of the load leaves nothing,
/// a step leaves one decaying swing), its RMS against the learned one, and the zero crossings of that signal,
/// so that an oscillation is told from a single change of speed.
/// </summary>
internal sealed class SpeedDiagnoser
{
    private const double MaxGapSeconds = 30;
    private const int CrossingSlots = 64;

    private readonly ShaftSpeedDiagnosisOptions _options;
    private readonly Finding _finding;
    private readonly DateTime[] _crossings = new DateTime[CrossingSlots];
    private int _crossingNext;
    private DateTime _start;
    private DateTime _last;
    private double _low1 = double.NaN, _low2, _ms = double.NaN;
    private RunningStats _baseMs;
    private bool _learned;
    private int _sign;
    private Persistence _hunting;
    private Persistence _calm;
    private double _rpm;

    public SpeedDiagnoser(ShaftSpeedDiagnosisOptions options)
    {
        _options = options;
        _finding = new Finding(PlantComponents.Shaft, Evidence);
    }

    public Finding Finding => _finding;

    public void OnSample(DateTime now, double rpm, uint status)
    {
        if (!SignalStatus.IsGood(status)) return;
        var dt = _last == default ? 0 : (now - _last).TotalSeconds;
        if (dt < 0) return;
        _last = now;
        _rpm = rpm;
        if (double.IsNaN(_low1) || dt > MaxGapSeconds)
        {
            // (Re)start at steady state, and let the high-pass settle before judging.
            _low1 = rpm;
            _low2 = 0;
            _ms = double.NaN;
            _start = now;
            return;
        }
        var alpha = 1 - Math.Exp(-dt / _options.HighPassSeconds);
        _low1 += alpha * (rpm - _low1);
        var y1 = rpm - _low1;
        _low2 += alpha * (y1 - _low2);
        var y2 = y1 - _low2;
        var settling = (now - _start).TotalSeconds < 3 * _options.HighPassSeconds;
        if (settling) return;
        var beta = 1 - Math.Exp(-dt / _options.RmsSeconds);
        _ms = double.IsNaN(_ms) ? y2 * y2 : _ms + (beta * ((y2 * y2) - _ms));
        if (!_learned)
        {
            _baseMs.Add(y2 * y2, double.MaxValue);
            _learned = (now - _start).TotalSeconds >= _options.LearnSeconds;
            return;
        }
        CountCrossing(now, y2);
        Judge(now);
        if (!_finding.Active && Math.Sqrt(_ms) < Threshold / 2) _baseMs.Add(y2 * y2, 100_000);
    }

    private double Rms => Math.Sqrt(Math.Max(0, _ms));

    private double BaseRms => Math.Sqrt(Math.Max(0, _baseMs.Mean));

    private double Threshold => Math.Max(_options.MinRmsRpm, _options.RmsFactor * BaseRms);

    private void CountCrossing(DateTime now, double y)
    {
        // Crossings count only while the swing is large, with a hysteresis of half its RMS: the noise of a calm
        // shaft, or the noise left as a step's swing decays, never counts.
        if (Rms < Threshold)
        {
            _sign = 0;
            return;
        }
        var band = Rms / 2;
        var sign = y > band ? 1 : y < -band ? -1 : 0;
        if (sign == 0) return;
        if (_sign != 0 && sign != _sign)
        {
            _crossings[_crossingNext] = now;
            _crossingNext = (_crossingNext + 1) % CrossingSlots;
        }
        _sign = sign;
    }

    private int CrossingsWithin(DateTime now)
    {
        var count = 0;
        foreach (var at in _crossings)
        {
            if (at != default && (now - at).TotalSeconds <= _options.CrossingWindowSeconds) count++;
        }
        return count;
    }

    private void Judge(DateTime now)
    {
        var oscillating = Rms >= Threshold && CrossingsWithin(now) >= _options.MinCrossings;
        if (!_finding.Active)
        {
            if (_hunting.Update(oscillating, now, _options.PersistSeconds))
            {
                _calm.Reset();
                _finding.Raise(PlantFaultTypes.SpeedHunting, Severity, now);
            }
            return;
        }
        if (_calm.Update(Rms < Threshold * 0.7, now, _options.PersistSeconds))
        {
            _hunting.Reset();
            _finding.Clear();
            return;
        }
        _finding.Raise(PlantFaultTypes.SpeedHunting, Severity, now);
    }

    private FaultSeverity Severity => Rms * Math.Sqrt(2) >= 0.05 * _rpm ? FaultSeverity.Critical : FaultSeverity.Warning;

    private string Evidence()
    {
        var crossings = CrossingsWithin(_last);
        var period = crossings > 1 ? 2 * _options.CrossingWindowSeconds / crossings : double.NaN;
        return string.Create(CultureInfo.InvariantCulture,
            $"shaft speed oscillates about {Rms * Math.Sqrt(2):0.0} rpm in amplitude (RMS {Rms:0.0} rpm against a learned {BaseRms:0.0} rpm, threshold {Threshold:0.0} rpm) at {_rpm:0} rpm; {crossings} zero crossings in {_options.CrossingWindowSeconds:0} s, period about {period:0.0} s");
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(_learned);
        _baseMs.Write(writer);
    }

    public void Read(BinaryReader reader)
    {
        _learned = reader.ReadBoolean();
        _baseMs = RunningStats.Read(reader);
        _low1 = double.NaN;
        _last = default;
        Array.Clear(_crossings);
    }
}
