using System.Globalization;

namespace ThermalPlant.Analytics.Diagnosis;

/// <summary>
/// One thermocouple on its own: Bad readings, and a reading that stopped changing. Through OPC UA a stuck value
/// sends no data changes at all, so stuck is judged against the diagnoser's clock (the latest time of any signal),
/// relative to how often this reading normally changes.
/// </summary>
internal sealed class ThermocoupleWatch
{
    private const int MinChanges = 20;

    private readonly ThermocoupleDiagnosisOptions _options;
    private readonly Finding _finding;
    private double _value = double.NaN;
    private DateTime _lastChange;
    private DateTime _lastSample;
    private double _holdSeconds;
    private long _changes;
    private uint _status;
    private DateTime _badSince;

    public ThermocoupleWatch(string component, ThermocoupleDiagnosisOptions options)
    {
        _options = options;
        _finding = new Finding(component, Evidence);
    }

    public Finding Finding => _finding;

    /// <summary>The latest value while Good and not stuck; NaN otherwise.</summary>
    public double Usable => Faulted || !SignalStatus.IsGood(_status) ? double.NaN : _value;

    /// <summary>True while a Bad reading or stuck value makes this sensor unusable for the furnace model.</summary>
    public bool Faulted => _finding.FaultType is PlantFaultTypes.BadReading or PlantFaultTypes.Stuck;

    /// <summary>The evidence of a drift the furnace model raised on this sensor's finding.</summary>
    public Func<string>? DriftEvidence { get; set; }

    public void OnSample(DateTime now, double celsius, uint status)
    {
        _lastSample = now;
        _status = status;
        if (SignalStatus.IsBad(status))
        {
            if (SignalStatus.IsCommunicationLoss(status))
            {
                // Not the sensor's verdict: no diagnosis, and no stuck judgement across the gap.
                _lastChange = now;
                return;
            }
            if (_finding.FaultType != PlantFaultTypes.BadReading) _badSince = now;
            _finding.Raise(PlantFaultTypes.BadReading, FaultSeverity.Critical, now);
            return;
        }
        _finding.Clear(PlantFaultTypes.BadReading);
        if (celsius != _value)
        {
            if (!double.IsNaN(_value) && _lastChange != default)
            {
                var hold = (now - _lastChange).TotalSeconds;
                // The usual hold, learned from healthy changes only.
                if (!Faulted) _holdSeconds = _changes == 0 ? hold : _holdSeconds + (0.02 * (hold - _holdSeconds));
                _changes++;
            }
            _value = celsius;
            _lastChange = now;
            _finding.Clear(PlantFaultTypes.Stuck);
        }
    }

    /// <summary>Judges stuck at the diagnoser's clock.</summary>
    public void Tick(DateTime now)
    {
        if (_changes < MinChanges || Faulted || !SignalStatus.IsGood(_status) || _lastChange == default) return;
        var held = (now - _lastChange).TotalSeconds;
        if (held >= Math.Max(_options.StuckSeconds, _options.StuckHoldFactor * _holdSeconds))
        {
            _finding.Raise(PlantFaultTypes.Stuck, FaultSeverity.Warning, _lastChange);
        }
    }

    private string Evidence() => _finding.FaultType switch
    {
        PlantFaultTypes.BadReading => string.Create(CultureInfo.InvariantCulture,
            $"status 0x{_status:X8} (Bad) since {_badSince:yyyy-MM-dd HH:mm:ss}Z; no temperature is measured"),
        PlantFaultTypes.Stuck => string.Create(CultureInfo.InvariantCulture,
            $"reads {_value:0.00} degC unchanged since {_lastChange:yyyy-MM-dd HH:mm:ss}Z ({(_lastSample > _lastChange ? "repeated" : "no new value")}); it normally changes every {_holdSeconds:0.0} s"),
        PlantFaultTypes.Drift => DriftEvidence?.Invoke() ?? "",
        _ => "",
    };

    public void Write(BinaryWriter writer)
    {
        writer.Write(_holdSeconds);
        writer.Write(_changes);
    }

    public void Read(BinaryReader reader)
    {
        _holdSeconds = reader.ReadDouble();
        _changes = reader.ReadInt64();
        if (!(_holdSeconds >= 0) || _changes < 0) throw new InvalidDataException("Corrupt thermocouple state in the diagnosis state.");
        _value = double.NaN;
        _lastChange = default;
    }
}
