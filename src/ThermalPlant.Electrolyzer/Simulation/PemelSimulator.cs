using ThermalPlant.Modbus.Server;
using ThermalPlant.PowerToGas;
using ThermalPlant.PowerToGas.Calibration;

namespace ThermalPlant.Electrolyzer.Simulation;

/// <summary>
/// A PEM electrolyzer behind the seed's PEMEL register map. Each <see cref="Update"/> reads the current set point a
/// client wrote (holding 0x8006), advances the model by the time passed on its clock, and refreshes the status word
/// (0x8061) and the 14 process values (0x8065). The hydrogen flow follows the calibration curve with a first-order
/// response; the H2 cooler's temperature follows a first-order thermal model, and status bit 10 (cooling
/// temperature reached) is set at or below a threshold, with hysteresis, so the control interlock can be seen.
/// </summary>
public sealed class PemelSimulator
{
    private const int CoolingReachedBit = 10;

    private readonly ElectrolyzerOptions _options;
    private readonly CalibrationTable _table;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private DateTimeOffset _last;
    private double _volume;

    /// <summary>Creates the simulator over <paramref name="store"/> and writes its first registers.</summary>
    public PemelSimulator(ElectrolyzerOptions options, CalibrationTable table, ModbusDataStore store, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _options = options;
        _table = table;
        Store = store;
        _time = time;
        _last = time.GetUtcNow();
        CoolerTemperature = options.InitialCoolerTemperature;
        CoolingReached = CoolerTemperature <= options.ReachedBelow;
        Publish();
    }

    /// <summary>The registers clients read and write.</summary>
    public ModbusDataStore Store { get; }

    /// <summary>The stack current, amperes (the set point, clamped to the stack's range).</summary>
    public double Current { get; private set; }

    /// <summary>The hydrogen flow, NL/min.</summary>
    public double H2Flow { get; private set; }

    /// <summary>The H2 cooler's temperature, degrees Celsius.</summary>
    public double CoolerTemperature { get; private set; }

    /// <summary>Status bit 10: the H2 cooling temperature is reached.</summary>
    public bool CoolingReached { get; private set; }

    /// <summary>The status word as published.</summary>
    public ushort StatusWord { get; private set; }

    /// <summary>When the model was last advanced.</summary>
    public DateTimeOffset LastUpdate => _last;

    /// <summary>Advances the model to now and refreshes the registers.</summary>
    public void Update()
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            var dt = Math.Max(0, (now - _last).TotalSeconds);
            _last = now;

            Span<ushort> setPoint = stackalloc ushort[1];
            Store.ReadHoldingRegisters(_options.BaseAddress + PemelRegisterMap.CurrentSetPointAddress, setPoint);
            Current = Math.Min(setPoint[0], _options.MaxCurrent);

            var flowTarget = (double)_table.ToFlow((decimal)Current);
            H2Flow += (flowTarget - H2Flow) * (1 - Math.Exp(-dt / _options.FlowTimeConstant.TotalSeconds));
            _volume += H2Flow * dt / 60;

            var equilibrium = _options.CoolerSetPoint + (_options.HeatPerAmpere * Current);
            CoolerTemperature += (equilibrium - CoolerTemperature) * (1 - Math.Exp(-dt / _options.ThermalTimeConstant.TotalSeconds));
            if (CoolerTemperature <= _options.ReachedBelow) CoolingReached = true;
            else if (CoolerTemperature > _options.ReachedBelow + _options.Hysteresis) CoolingReached = false;

            Publish();
        }
    }

    private void Publish()
    {
        var producing = H2Flow > 0.05;
        var status = (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 9) | (1 << 12);
        if (producing) status |= (1 << 8) | (1 << 11);
        if (CoolingReached) status |= 1 << CoolingReachedBit;
        StatusWord = (ushort)status;
        Store.WriteHoldingRegisters(_options.BaseAddress + PemelRegisterMap.StatusAddress, [StatusWord]);

        var load = Current / _options.MaxCurrent;
        var inlet = 40 + (15 * load);
        double[] values =
        [
            Current * (40 + (0.2 * Current)), // power W: the stack voltage rises with the current
            Current,
            28 * H2Flow / (double)_table.MaxFlow, // H2 pressure bar
            1, // conductance uS/cm of the deionised water
            inlet,
            100 * load, // cooler valve %
            H2Flow,
            _volume % 65536,
            inlet + 2, inlet + 2.5, inlet + 3, inlet + 2.2, inlet + 2.8,
            CoolerTemperature,
        ];
        var raw = new ushort[values.Length];
        for (var i = 0; i < values.Length; i++) raw[i] = (ushort)Math.Clamp(Math.Round(values[i], MidpointRounding.ToEven), 0, ushort.MaxValue);
        Store.WriteHoldingRegisters(_options.BaseAddress + PemelRegisterMap.ProcessValuesAddress, raw);
    }
}
