using System.Globalization;

namespace ThermalPlant.Analytics.Diagnosis;

/// <summary>
/// The supply voltage: a sag is a reading below the learned level by more than <see cref="SupplyDiagnosisOptions.SagFraction"/>;
/// ripple is reading-to-reading scatter (from successive differences, so the slow load-driven level does not count)
/// far above the learned scatter. Differences across a sag's edges are left out of the scatter.
/// </summary>
internal sealed class SupplyDiagnoser
{
    private const double MaxGapSeconds = 30;
    private const double ClipFactor = 10;

    private readonly SupplyDiagnosisOptions _options;
    private readonly Finding _finding;
    private DateTime _start;
    private DateTime _last;
    private double _previous = double.NaN;
    private double _level = double.NaN;
    private double _scatter2 = double.NaN;
    private RunningStats _baseScatter2;
    private bool _learned;
    private Persistence _ripple;
    private Persistence _rippleGone;
    private double _sagMin;
    private DateTime _sagSince;

    public SupplyDiagnoser(SupplyDiagnosisOptions options)
    {
        _options = options;
        _finding = new Finding(PlantComponents.Supply, Evidence);
    }

    public Finding Finding => _finding;

    public void OnSample(DateTime now, double volts, uint status)
    {
        if (!SignalStatus.IsGood(status))
        {
            _previous = double.NaN;
            return;
        }
        if (_start == default) _start = now;
        var dt = _last == default ? 0 : (now - _last).TotalSeconds;
        if (dt < 0) return;
        _last = now;
        if (double.IsNaN(_level))
        {
            _level = volts;
            _previous = volts;
            return;
        }

        var sagging = _finding.FaultType == PlantFaultTypes.VoltageSag;
        var sagNow = volts < _level * (1 - _options.SagFraction);
        var recovered = volts >= _level * (1 - (_options.SagFraction / 2));
        if (_learned && !sagging && sagNow)
        {
            _sagSince = now;
            _sagMin = volts;
            _ripple.Reset();
            _finding.Raise(PlantFaultTypes.VoltageSag, FaultSeverity.Warning, now);
            _previous = double.NaN;
            return;
        }
        if (sagging)
        {
            _sagMin = Math.Min(_sagMin, volts);
            if ((_level - _sagMin) / _level >= 0.5) _finding.Raise(PlantFaultTypes.VoltageSag, FaultSeverity.Critical, now);
            if (!recovered)
            {
                _previous = double.NaN;
                return;
            }
            _finding.Clear();
            _previous = double.NaN;
            return;
        }

        // Scatter from successive differences: a slow level adds almost nothing to them.
        if (!double.IsNaN(_previous) && dt <= MaxGapSeconds)
        {
            var d = volts - _previous;
            var half2 = d * d / 2;
            if (_learned) half2 = Math.Min(half2, ClipFactor * ClipFactor * Math.Max(_baseScatter2.Mean, 1e-12));
            var alpha = 1 - Math.Exp(-dt / _options.RippleSeconds);
            _scatter2 = double.IsNaN(_scatter2) ? half2 : _scatter2 + (alpha * (half2 - _scatter2));
            if (!_learned || _finding.FaultType != PlantFaultTypes.SupplyRipple) _baseScatter2.Add(half2, _learned ? 100_000 : double.MaxValue);
        }
        _previous = volts;
        _level += (1 - Math.Exp(-dt / _options.LevelSeconds)) * (volts - _level);
        if (!_learned)
        {
            _learned = (now - _start).TotalSeconds >= _options.LearnSeconds;
            return;
        }
        JudgeRipple(now);
    }

    private double Scatter => Math.Sqrt(Math.Max(0, _scatter2));

    private double BaseScatter => Math.Sqrt(Math.Max(0, _baseScatter2.Mean));

    private double RippleThreshold => Math.Max(_options.MinRippleVolts, _options.RippleFactor * BaseScatter);

    private void JudgeRipple(DateTime now)
    {
        if (double.IsNaN(_scatter2)) return;
        if (_finding.FaultType != PlantFaultTypes.SupplyRipple)
        {
            if (_ripple.Update(Scatter >= RippleThreshold, now, _options.PersistSeconds))
            {
                _rippleGone.Reset();
                _finding.Raise(PlantFaultTypes.SupplyRipple, FaultSeverity.Advisory, now);
            }
            return;
        }
        if (_rippleGone.Update(Scatter < RippleThreshold * 0.7, now, _options.PersistSeconds))
        {
            _ripple.Reset();
            _finding.Clear();
            return;
        }
        _finding.Raise(PlantFaultTypes.SupplyRipple, Scatter >= 3 * RippleThreshold ? FaultSeverity.Warning : FaultSeverity.Advisory, now);
    }

    private string Evidence() => _finding.FaultType switch
    {
        PlantFaultTypes.VoltageSag => string.Create(CultureInfo.InvariantCulture,
            $"down to {_sagMin:0.00} V against a level of {_level:0.00} V ({(_level - _sagMin) / _level:P0} sag, threshold {_options.SagFraction:P0}) since {_sagSince:yyyy-MM-dd HH:mm:ss}Z"),
        PlantFaultTypes.SupplyRipple => string.Create(CultureInfo.InvariantCulture,
            $"reading-to-reading scatter {Scatter:0.000} V (one sigma) against a learned {BaseScatter:0.000} V (threshold {RippleThreshold:0.000} V) at a level of {_level:0.00} V"),
        _ => "",
    };

    public void Write(BinaryWriter writer)
    {
        writer.Write(_learned);
        writer.Write(_level);
        _baseScatter2.Write(writer);
    }

    public void Read(BinaryReader reader)
    {
        _learned = reader.ReadBoolean();
        _level = reader.ReadDouble();
        _baseScatter2 = RunningStats.Read(reader);
        if (_learned && !(_level > 0)) throw new InvalidDataException("Corrupt supply state in the diagnosis state.");
        _previous = double.NaN;
        _scatter2 = double.NaN;
        _last = default;
        _start = default;
    }
}
