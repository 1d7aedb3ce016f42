namespace ThermalPlant.Simulation;

/// <summary>
/// A furnace heated by a burner whose shaft drives a fan: first-order thermal lags for the upper and lower
/// temperatures driven by burner power and shaft speed, shaft speed following the load, and a supply with
/// sags and ripple; plus the instruments on it (thermocouple converters, tachometer, supply voltmeter) and the
/// faults injected into either. State advances to the current time of the <see cref="TimeProvider"/> whenever it
/// is read, so a manual clock runs the plant in virtual time. Thread-safe.
/// </summary>
public sealed class PlantModel
{
    private const double StepSeconds = 0.1;
    private const double UpperTau = 90, LowerTau = 240, RpmTau = 3, PowerTau = 60;
    private const double UpperPerKw = 6, LowerPerKw = 2.5, UpperPerRpm = 0.03, LowerPerRpm = 0.06;
    private const double MaxWearAmplitude = 0.3;
    private const double ThermocoupleNoise = 0.3, TachometerNoise = 2, VoltmeterNoise = 0.005;

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly SimulationOptions _options;
    private readonly Random _random;
    private readonly DateTimeOffset _start;
    private readonly List<ActiveFault> _faults = [];
    private readonly Dictionary<int, double> _stuckAt = [];
    private DateTimeOffset _now;
    private double _upper, _lower, _rpm, _powerDeviation;
    private int _nextFaultId = 1;

    /// <summary>A plant at its steady state at the clock's current time, with the configured faults active.</summary>
    public PlantModel(SimulationOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _options = options;
        _time = time;
        _random = new Random(options.Seed);
        _start = _now = time.GetUtcNow();
        // Start at the steady state, so the first readings are already plausible.
        _rpm = RpmTarget(0);
        _upper = UpperTarget(0);
        _lower = LowerTarget(0);
        foreach (var spec in options.Faults)
        {
            Inject(spec);
        }
    }

    /// <summary>The plant's parameters.</summary>
    public SimulationOptions Options => _options;

    /// <summary>The plant now.</summary>
    public PlantState Sample()
    {
        lock (_lock)
        {
            return SampleUnlocked();
        }
    }

    /// <summary>A conversion of the upper or lower thermocouple: 0.25 degC steps of the temperature plus noise, with its faults.</summary>
    public ThermocoupleSample ReadThermocouple(bool upper)
    {
        lock (_lock)
        {
            var state = SampleUnlocked();
            if (upper ? state.UpperOpen : state.LowerOpen) return new ThermocoupleSample(0, Open: true);
            var target = upper ? "upper" : "lower";
            var celsius = (upper ? state.UpperCelsius : state.LowerCelsius) + NormalUnlocked(ThermocoupleNoise);
            ActiveFault? stuck = null;
            foreach (var fault in _faults)
            {
                if (fault.Spec.Target != target) continue;
                if (fault.Spec.Type == FaultType.ThermocoupleDrift) celsius += fault.Spec.RatePerHour * (_now - fault.Since).TotalHours;
                if (fault.Spec.Type == FaultType.StuckThermocouple) stuck ??= fault;
            }
            var reading = Math.Round(celsius * 4) / 4;
            if (stuck is not null)
            {
                // The converter returns the conversion it held when it froze.
                if (!_stuckAt.TryGetValue(stuck.Id, out var frozen)) _stuckAt[stuck.Id] = frozen = reading;
                return new ThermocoupleSample(frozen, Open: false);
            }
            return new ThermocoupleSample(reading, Open: false);
        }
    }

    /// <summary>The shaft speed as a pulse counter over a short window measures it, rpm.</summary>
    public double ReadTachometerRpm()
    {
        lock (_lock)
        {
            return Math.Max(0, SampleUnlocked().Rpm + NormalUnlocked(TachometerNoise));
        }
    }

    /// <summary>
    /// One conversion of the supply through the divider: DC level, ripple at twice the mains frequency, noise. The
    /// converter's instants are not locked to the mains, so each conversion sees the ripple at a random phase.
    /// </summary>
    public double ReadSupplyVolts()
    {
        lock (_lock)
        {
            var state = SampleUnlocked();
            var ripple = state.RippleVolts / 2 * Math.Sin(2 * Math.PI * _random.NextDouble());
            return state.SupplyVolts + ripple + NormalUnlocked(VoltmeterNoise);
        }
    }

    /// <summary>Gaussian noise of the given standard deviation, from the seeded generator.</summary>
    public double Noise(double sigma)
    {
        lock (_lock)
        {
            return NormalUnlocked(sigma);
        }
    }

    /// <summary>Injects a fault from now on (the spec is assumed valid: see <see cref="FaultSpec.Validate"/>).</summary>
    public ActiveFault Inject(FaultSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        lock (_lock)
        {
            var fault = new ActiveFault(_nextFaultId++, spec, _time.GetUtcNow());
            _faults.Add(fault);
            return fault;
        }
    }

    /// <summary>The faults in force.</summary>
    public IReadOnlyList<ActiveFault> Faults()
    {
        lock (_lock)
        {
            return [.. _faults];
        }
    }

    /// <summary>Clears one fault; false if it is not active.</summary>
    public bool Clear(int id)
    {
        lock (_lock)
        {
            _stuckAt.Remove(id);
            return _faults.RemoveAll(f => f.Id == id) > 0;
        }
    }

    /// <summary>Clears every fault.</summary>
    public void ClearAll()
    {
        lock (_lock)
        {
            _stuckAt.Clear();
            _faults.Clear();
        }
    }

    private PlantState SampleUnlocked()
    {
        AdvanceTo(_time.GetUtcNow());
        var t = Seconds(_now);
        var sag = 1.0;
        var upperOpen = false;
        var lowerOpen = false;
        var rpm = _rpm;
        var ripple = _options.RippleVolts;
        List<(double, double)> wear = [];
        foreach (var fault in _faults)
        {
            var age = (_now - fault.Since).TotalSeconds;
            switch (fault.Spec.Type)
            {
                case FaultType.OpenThermocouple:
                    upperOpen |= fault.Spec.Target == "upper";
                    lowerOpen |= fault.Spec.Target == "lower";
                    break;
                case FaultType.VoltageSag when fault.Spec.DurationSeconds == 0 || age < fault.Spec.DurationSeconds:
                    sag *= 1 - fault.Spec.Depth;
                    break;
                case FaultType.BearingWear:
                    var amplitude = Math.Min(MaxWearAmplitude, 0.01 * (1 + (fault.Spec.GrowthPerHour * age / 3600)));
                    foreach (var order in fault.Spec.Harmonics!)
                    {
                        wear.Add((order, amplitude));
                    }
                    break;
                case FaultType.SpeedHunting:
                    rpm += fault.Spec.AmplitudeRpm * Math.Sin(2 * Math.PI * age / fault.Spec.PeriodSeconds);
                    break;
                case FaultType.SupplyRipple:
                    ripple += fault.Spec.RippleVolts;
                    break;
            }
        }
        var supply = (_options.SupplyVolts - (0.3 * Load(t))) * sag;
        return new PlantState(t, _upper, _lower, Math.Max(0, rpm), supply, upperOpen, lowerOpen, wear, ripple);
    }

    private void AdvanceTo(DateTimeOffset now)
    {
        var elapsed = (now - _now).TotalSeconds;
        if (elapsed <= 0) return;
        // After a long pause (a suspended process, a test jumping hours) catch up in coarser steps:
        // first-order lags stay stable for any step with the exact exponential update below.
        var steps = Math.Clamp((int)Math.Ceiling(elapsed / StepSeconds), 1, 10_000);
        var dt = elapsed / steps;
        var t = Seconds(_now);
        for (var i = 0; i < steps; i++)
        {
            t += dt;
            _powerDeviation = Lag(_powerDeviation, 0, PowerTau, dt) + NormalUnlocked(0.05 * _options.BurnerPowerKw * Math.Sqrt(dt / PowerTau));
            _rpm = Lag(_rpm, RpmTarget(t), RpmTau, dt);
            _upper = Lag(_upper, UpperTarget(t), UpperTau, dt);
            _lower = Lag(_lower, LowerTarget(t), LowerTau, dt);
        }
        _now = now;
    }

    private double Seconds(DateTimeOffset at) => (at - _start).TotalSeconds;

    private double Power(double t) => Math.Max(0, (_options.BurnerPowerKw * (1 + (0.08 * Math.Sin(2 * Math.PI * t / 900)))) + _powerDeviation);

    private static double Load(double t) => 0.5 + (0.25 * Math.Sin((2 * Math.PI * t / 1200) + 1));

    private double RpmTarget(double t) => _options.NominalRpm * (1 - (0.2 * Load(t)));

    private double UpperTarget(double t) => _options.AmbientCelsius + (UpperPerKw * Power(t)) + (UpperPerRpm * _rpm);

    private double LowerTarget(double t) => _options.AmbientCelsius + (LowerPerKw * Power(t)) + (LowerPerRpm * _rpm);

    private static double Lag(double value, double target, double tau, double dt) => target + ((value - target) * Math.Exp(-dt / tau));

    private double NormalUnlocked(double sigma)
    {
        // Box-Muller: two uniforms make one normal deviate.
        var u1 = 1.0 - _random.NextDouble();
        var u2 = _random.NextDouble();
        return sigma * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
