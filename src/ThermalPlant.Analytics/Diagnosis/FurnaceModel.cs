using System.Globalization;

namespace ThermalPlant.Analytics.Diagnosis;

/// <summary>
/// Thermocouple drift from the furnace model. Each zone is T = lag_tau(ambient + PerKw * P + PerRpm * rpm) with P the
/// unmeasured burner power. Filtering the upper reading with the lower zone's lag and the lower with the upper's
/// makes both <c>lagU(lagL(P))</c> plus known speed terms: their implied burner powers pU and pL agree up to a learned
/// offset, whatever the burner does. A drifting sensor moves its own implied power only, so the residual pU - pL
/// detects it; which sensor is named once one implied power has left its learned level by far more than the
/// burner's own learned variation while the other has not.
/// </summary>
internal sealed class FurnaceModel
{
    private const double MaxGapSeconds = 60;

    private readonly ThermocoupleDiagnosisOptions _options;
    private readonly Finding _pair;
    private readonly Finding _upperDrift;
    private readonly Finding _lowerDrift;
    private double _upper = double.NaN, _lower = double.NaN, _rpm = double.NaN;
    private double _fu, _fl, _r1, _r;
    private DateTime _time;
    private bool _running;
    private DateTime _settledAt;
    private DateTime _learnedAt;
    private RunningStats _residual, _powerUpper, _powerLower, _slowPower;
    private double _slowUpper = double.NaN, _slowLower = double.NaN;
    // The learned levels, followed slowly while healthy (ambient); the learned noise stays as learned.
    private double _offset, _levelUpper, _levelLower;
    private bool _learned;
    private Persistence _over;
    private Persistence _under;
    private double _lastResidual;
    private Finding? _raised;
    private double _interval = 1;
    private double _evidence;

    public FurnaceModel(ThermocoupleDiagnosisOptions options, Finding upperDrift, Finding lowerDrift)
    {
        _options = options;
        _upperDrift = upperDrift;
        _lowerDrift = lowerDrift;
        _pair = new Finding(PlantComponents.Thermocouples, () => Evidence(null));
    }

    /// <summary>The pair's finding, named while the drifting sensor is not yet known.</summary>
    public Finding Pair => _pair;

    public bool Learned => _learned;

    /// <summary>The residual, kW of implied burner power, against its learned offset; NaN before it is learned.</summary>
    public double Residual => _learned && _running ? _lastResidual : double.NaN;

    public string DescribeDrift(bool upper) => Evidence(upper);

    /// <summary>Advances the filters to <paramref name="now"/> with the held inputs, then takes the new ones and judges.</summary>
    public void Update(DateTime now, double upper, double lower, double rpm)
    {
        if (double.IsNaN(upper) || double.IsNaN(lower) || double.IsNaN(rpm))
        {
            // A sensor that is Bad or stuck cannot feed the model: restart it (and settle again) once all are usable.
            Stop();
            return;
        }
        if (!_running || (now - _time).TotalSeconds > MaxGapSeconds)
        {
            Start(now, upper, lower, rpm);
            return;
        }
        var dt = (now - _time).TotalSeconds;
        if (dt < 0) return;
        if (dt > 0) _interval = dt;
        if (dt > 0)
        {
            var au = 1 - Math.Exp(-dt / _options.UpperTimeConstantSeconds);
            var al = 1 - Math.Exp(-dt / _options.LowerTimeConstantSeconds);
            _fu += (_upper - _fu) * al;
            _fl += (_lower - _fl) * au;
            _r += (_r1 - _r) * al;
            _r1 += (_rpm - _r1) * au;
            _time = now;
        }
        _upper = upper;
        _lower = lower;
        _rpm = rpm;
        if (now < _settledAt) return;

        // Implied (lag-filtered) burner power from each zone, and its slow average for naming the drifting one.
        var pu = (_fu - (_options.UpperPerRpm * _r)) / _options.UpperPerKw;
        var pl = (_fl - (_options.LowerPerRpm * _r)) / _options.LowerPerKw;
        var slow = 1 - Math.Exp(-dt / _options.IsolationSeconds);
        _slowUpper = double.IsNaN(_slowUpper) ? pu : _slowUpper + (slow * (pu - _slowUpper));
        _slowLower = double.IsNaN(_slowLower) ? pl : _slowLower + (slow * (pl - _slowLower));
        if (!_learned)
        {
            _residual.Add(pu - pl, double.MaxValue);
            _powerUpper.Add(pu, double.MaxValue);
            _powerLower.Add(pl, double.MaxValue);
            _slowPower.Add(_slowUpper, double.MaxValue);
            if (_learnedAt == default) _learnedAt = now.AddSeconds(_options.LearnSeconds);
            if (now >= _learnedAt)
            {
                _learned = true;
                _offset = _residual.Mean;
                _levelUpper = _powerUpper.Mean;
                _levelLower = _powerLower.Mean;
            }
            return;
        }
        Judge(now, dt, pu, pl);
    }

    private void Judge(DateTime now, double dt, double pu, double pl)
    {
        var residual = pu - pl - _offset;
        _lastResidual = residual;
        var threshold = Threshold;
        if (_raised is null)
        {
            if (_over.Update(Math.Abs(residual) >= threshold, now, _options.PersistSeconds))
            {
                _under.Reset();
                _raised = _pair;
                _evidence = 0;
            }
            else
            {
                if (Math.Abs(residual) < threshold / 2)
                {
                    // Healthy: follow slow change (ambient) of the levels, never a drift's rise.
                    var adapt = 1 - Math.Exp(-dt / (_options.AdaptHours * 3600));
                    _offset += adapt * (pu - pl - _offset);
                    _levelUpper += adapt * (pu - _levelUpper);
                    _levelLower += adapt * (pl - _levelLower);
                }
                return;
            }
        }
        else if (_under.Update(Math.Abs(residual) < threshold / 2, now, _options.PersistSeconds))
        {
            _over.Reset();
            _raised.Clear(PlantFaultTypes.Drift);
            _raised = null;
            return;
        }

        if (_raised == _pair)
        {
            // Which sensor drifts: under "upper" the burner moved by the lower's averaged deviation, under "lower" by
            // the upper's. The burner's swings are mean-reverting and a drift is not, so the log-likelihood ratio of the
            // two, accumulated per averaging time, settles on the drifting sensor even when one swing misleads.
            var spread = Math.Max(_slowPower.StdDev, 1e-6);
            var devUpper = (_slowUpper - _levelUpper) / spread;
            var devLower = (_slowLower - _levelLower) / spread;
            _evidence += ((devUpper * devUpper) - (devLower * devLower)) / 2 * dt / _options.IsolationSeconds;
            if (_evidence > _options.IsolationEvidence) _raised = _upperDrift;
            else if (_evidence < -_options.IsolationEvidence) _raised = _lowerDrift;
            if (_raised != _pair) _pair.Clear(PlantFaultTypes.Drift);
        }
        var offset = _raised == _upperDrift ? _options.UpperPerKw * residual
            : _raised == _lowerDrift ? -_options.LowerPerKw * residual
            : double.NaN;
        var severity = _raised == _pair ? FaultSeverity.Advisory
            : Math.Abs(offset) >= _options.CriticalDriftCelsius ? FaultSeverity.Critical
            : FaultSeverity.Warning;
        _raised.Raise(PlantFaultTypes.Drift, severity, now);
    }

    private double Threshold => Math.Max(_options.MinResidualKw, _options.ResidualSigmas * _residual.StdDev);

    private void Start(DateTime now, double upper, double lower, double rpm)
    {
        // Assume steady state: the error this makes decays with the lags while the model settles.
        _running = true;
        _time = now;
        _upper = _fu = upper;
        _lower = _fl = lower;
        _rpm = _r1 = _r = rpm;
        _slowUpper = _slowLower = double.NaN;
        _settledAt = now.AddSeconds(_options.SettleSeconds);
        _over.Reset();
        _under.Reset();
    }

    private void Stop()
    {
        _running = false;
        if (_raised is not null)
        {
            _raised.Clear(PlantFaultTypes.Drift);
            _raised = null;
        }
    }

    private string Evidence(bool? upper)
    {
        var text = string.Create(CultureInfo.InvariantCulture,
            $"the zones' implied burner powers disagree by {_lastResidual:+0.00;-0.00} kW against a learned noise of {_residual.StdDev:0.000} kW (threshold {Threshold:0.00} kW); averaged, upper implies {_slowUpper - _levelUpper:+0.00;-0.00} kW and lower {_slowLower - _levelLower:+0.00;-0.00} kW from their learned levels (learned spread {_slowPower.StdDev:0.00} kW)");
        return upper switch
        {
            true => text + string.Create(CultureInfo.InvariantCulture, $"; the upper thermocouple is offset by about {_options.UpperPerKw * _lastResidual:+0.0;-0.0} degC"),
            false => text + string.Create(CultureInfo.InvariantCulture, $"; the lower thermocouple is offset by about {-_options.LowerPerKw * _lastResidual:+0.0;-0.0} degC"),
            null => text + "; which thermocouple drifts is not known yet",
        };
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(_learned);
        writer.Write(_offset);
        writer.Write(_levelUpper);
        writer.Write(_levelLower);
        _residual.Write(writer);
        _powerUpper.Write(writer);
        _powerLower.Write(writer);
        _slowPower.Write(writer);
    }

    public void Read(BinaryReader reader)
    {
        _learned = reader.ReadBoolean();
        _offset = reader.ReadDouble();
        _levelUpper = reader.ReadDouble();
        _levelLower = reader.ReadDouble();
        if (!double.IsFinite(_offset) || !double.IsFinite(_levelUpper) || !double.IsFinite(_levelLower)) throw new InvalidDataException("Corrupt furnace model in the diagnosis state.");
        _residual = RunningStats.Read(reader);
        _powerUpper = RunningStats.Read(reader);
        _powerLower = RunningStats.Read(reader);
        _slowPower = RunningStats.Read(reader);
        _learnedAt = default;
        Stop();
    }
}
