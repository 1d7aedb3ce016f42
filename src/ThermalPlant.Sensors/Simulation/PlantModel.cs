namespace ThermalPlant.Sensors.Simulation;

/// <summary>
/// A furnace heated by a burner whose shaft drives a fan: first-order thermal lags for the upper and lower
/// temperatures driven by burner power and shaft speed, shaft speed following the load, and a supply with
/// sags. State advances to the current time of the <see cref="TimeProvider"/> whenever it is read.
/// </summary>
internal sealed class PlantModel
{
    private const double StepSeconds = 0.1;
    private const double UpperTau = 90, LowerTau = 240, RpmTau = 3, PowerTau = 60;
    private const double UpperPerKw = 6, LowerPerKw = 2.5, UpperPerRpm = 0.03, LowerPerRpm = 0.06;
    private const double MaxWearAmplitude = 0.3;

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly SimulationOptions _options;
    private readonly Random _random;
    private readonly DateTimeOffset _start;
    private readonly List<ActiveFault> _faults = [];
    private DateTimeOffset _now;
    private double _upper, _lower, _rpm, _powerDeviation;
    private int _nextFaultId = 1;

    public PlantModel(SimulationOptions options, TimeProvider time)
    {
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

    public SimulationOptions Options => _options;

    public PlantState Sample()
    {
        lock (_lock)
        {
            AdvanceTo(_time.GetUtcNow());
            var t = Seconds(_now);
            var sag = 1.0;
            var upperOpen = false;
            var lowerOpen = false;
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
                        var amplitude = Math.Min(MaxWearAmplitude, 0.01 * (1 + fault.Spec.GrowthPerHour * age / 3600));
                        foreach (var order in fault.Spec.Harmonics!)
                        {
                            wear.Add((order, amplitude));
                        }
                        break;
                }
            }
            var supply = (_options.SupplyVolts - 0.3 * Load(t)) * sag;
            return new PlantState(t, _upper, _lower, _rpm, supply, upperOpen, lowerOpen, wear);
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

    public ActiveFault Inject(FaultSpec spec)
    {
        lock (_lock)
        {
            var fault = new ActiveFault(_nextFaultId++, spec, _time.GetUtcNow());
            _faults.Add(fault);
            return fault;
        }
    }

    public IReadOnlyList<ActiveFault> Faults()
    {
        lock (_lock)
        {
            return [.. _faults];
        }
    }

    public bool Clear(int id)
    {
        lock (_lock)
        {
            return _faults.RemoveAll(f => f.Id == id) > 0;
        }
    }

    public void ClearAll()
    {
        lock (_lock)
        {
            _faults.Clear();
        }
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

    private double Power(double t) => Math.Max(0, _options.BurnerPowerKw * (1 + 0.08 * Math.Sin(2 * Math.PI * t / 900)) + _powerDeviation);

    private static double Load(double t) => 0.5 + 0.25 * Math.Sin((2 * Math.PI * t / 1200) + 1);

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
