using System.Globalization;
using System.Text;

namespace ThermalPlant.Analytics.Diagnosis;

/// <summary>
/// Bearing wear from the mel spectrum: for each fault order, the level of the band holding order x rpm / 60 is
/// compared with that band's level learned at the same speed (a bin of <see cref="BearingDiagnosisOptions.SpeedBinPercent"/>),
/// so a speed change moves the expected level with it and only a growing harmonic rises above it. A trend fitted to
/// the rise gives the time until the alarm level.
/// </summary>
internal sealed class BearingDiagnoser
{
    private const double MaxBinWeight = 5000;

    private readonly BearingDiagnosisOptions _options;
    private readonly MelBandLayout _layout;
    private readonly double _binLogStep;
    private readonly Order[] _orders;
    private readonly Finding _finding;
    private Persistence _flagged;
    private Persistence _cleared;
    private DateTime _lastSpectrum;
    private double _rpm;
    private int _worst = -1;

    public BearingDiagnoser(BearingDiagnosisOptions options, MelBandLayout layout)
    {
        _options = options;
        _layout = layout;
        _binLogStep = Math.Log(1 + (options.SpeedBinPercent / 100));
        _orders = [.. options.FaultOrders.Select(o => new Order(o))];
        _finding = new Finding(PlantComponents.Bearing, Evidence);
    }

    public Finding Finding => _finding;

    /// <summary>Spectra scored against a learned baseline.</summary>
    public long Scored { get; private set; }

    /// <summary>Spectra that only taught the baseline (unlearned speed bin).</summary>
    public long Learned { get; private set; }

    /// <summary>The largest smoothed rise above baseline over the fault orders, dB; NaN before any order is scored.</summary>
    public double RiseDb => _worst >= 0 ? _orders[_worst].Smoothed : double.NaN;

    public void OnSpectrum(DateTime now, ReadOnlySpan<double> bandsDb, double rpm)
    {
        var dt = _lastSpectrum == default ? 0 : Math.Max(0, (now - _lastSpectrum).TotalSeconds);
        _lastSpectrum = now;
        _rpm = rpm;
        var shaftHz = rpm / 60;
        var bin = (int)Math.Floor(Math.Log(rpm) / _binLogStep);
        var alpha = 1 - Math.Exp(-dt / _options.SmoothingSeconds);
        var hours = now.Ticks / (double)TimeSpan.TicksPerHour;
        var anyScored = false;
        for (var i = 0; i < _orders.Length; i++)
        {
            var order = _orders[i];
            var band = _layout.BandOf(order.Multiple * shaftHz);
            if (band < 0 || band >= bandsDb.Length) continue;
            var level = bandsDb[band];
            if (!double.IsFinite(level)) continue;
            var key = (bin * 2048) + band;
            ref var stats = ref order.Stats(key, _options.MaxBins, out var known);
            if (!known) continue;
            order.Band = band;
            order.Level = level;
            if (stats.Count >= _options.MinSamplesPerBin)
            {
                var rise = level - stats.Mean;
                order.Baseline = stats.Mean;
                order.Smoothed = double.IsNaN(order.Smoothed) ? rise : order.Smoothed + (alpha * (rise - order.Smoothed));
                order.Trend.Add(hours, rise, dt / _options.TrendSeconds);
                anyScored = true;
                // Keep learning slow change of the healthy machine, never the rise of wear.
                if (!_finding.Active && order.Smoothed < _options.AdaptGuardDb) stats.Add(level, MaxBinWeight);
            }
            else
            {
                stats.Add(level, MaxBinWeight);
            }
        }
        if (anyScored) Scored++;
        else Learned++;
        Judge(now);
    }

    private void Judge(DateTime now)
    {
        _worst = -1;
        for (var i = 0; i < _orders.Length; i++)
        {
            if (double.IsNaN(_orders[i].Smoothed)) continue;
            if (_worst < 0 || _orders[i].Smoothed > _orders[_worst].Smoothed) _worst = i;
        }
        if (_worst < 0) return;
        var rise = _orders[_worst].Smoothed;
        if (!_finding.Active)
        {
            if (_flagged.Update(rise >= _options.ThresholdDb, now, _options.PersistSeconds))
            {
                _cleared.Reset();
                Raise(rise, now);
            }
            return;
        }
        if (_cleared.Update(rise < _options.ThresholdDb / 2, now, _options.PersistSeconds))
        {
            _flagged.Reset();
            _finding.Clear();
            return;
        }
        Raise(rise, now);
    }

    private void Raise(double rise, DateTime now)
    {
        var severity = rise >= _options.AlarmDb ? FaultSeverity.Critical
            : rise >= _options.WarningDb ? FaultSeverity.Warning
            : FaultSeverity.Advisory;
        var trend = _orders[_worst].Trend;
        if (rise < _options.AlarmDb && trend.TryTimeTo(_options.AlarmDb, now.Ticks / (double)TimeSpan.TicksPerHour, out var hours, out var sigma))
        {
            _finding.TimeToAlarm = TimeSpan.FromHours(hours);
            _finding.TimeToAlarmUncertainty = TimeSpan.FromHours(sigma);
            if (severity == FaultSeverity.Advisory && hours < 24) severity = FaultSeverity.Warning;
        }
        else
        {
            _finding.TimeToAlarm = rise >= _options.AlarmDb ? TimeSpan.Zero : null;
            _finding.TimeToAlarmUncertainty = null;
        }
        _finding.Raise(PlantFaultTypes.BearingWear, severity, now);
    }

    private string Evidence()
    {
        var text = new StringBuilder();
        var shaftHz = _rpm / 60;
        foreach (var order in _orders)
        {
            if (double.IsNaN(order.Smoothed)) continue;
            if (text.Length > 0) text.Append("; ");
            text.Append(CultureInfo.InvariantCulture,
                $"order {order.Multiple:0.###} ({order.Multiple * shaftHz:0.0} Hz at {_rpm:0} rpm, band {order.Band}): {order.Smoothed:+0.0;-0.0} dB against a baseline of {order.Baseline:0.0} dB at this speed");
            if (order.Trend.TrySlope(out var slope, out _)) text.Append(CultureInfo.InvariantCulture, $", trend {slope:+0.00;-0.00} dB/h");
        }
        text.Append(CultureInfo.InvariantCulture, $"; alarm level +{_options.AlarmDb:0.#} dB");
        return text.ToString();
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(_orders.Length);
        foreach (var order in _orders)
        {
            writer.Write(order.Multiple);
            order.Write(writer);
        }
    }

    public void Read(BinaryReader reader)
    {
        if (reader.ReadInt32() != _orders.Length) throw new InvalidDataException("The diagnosis state was written for other bearing fault orders.");
        foreach (var order in _orders)
        {
            if (reader.ReadDouble() != order.Multiple) throw new InvalidDataException("The diagnosis state was written for other bearing fault orders.");
            order.Read(reader, _options.MaxBins);
        }
    }

    /// <summary>One fault order: its baseline per (speed bin, band) and its current rise.</summary>
    private sealed class Order(double multiple)
    {
        private readonly Dictionary<int, int> _index = [];
        private RunningStats[] _bins = new RunningStats[8];
        private int[] _keys = new int[8];

        public double Multiple { get; } = multiple;

        public int Band { get; set; }

        public double Level { get; set; }

        public double Baseline { get; set; }

        public double Smoothed { get; set; } = double.NaN;

        public Trend Trend;

        /// <summary>The statistics of <paramref name="key"/>, made if there is room; <paramref name="known"/> false when full.</summary>
        public ref RunningStats Stats(int key, int maxBins, out bool known)
        {
            if (!_index.TryGetValue(key, out var slot))
            {
                if (_index.Count >= maxBins)
                {
                    known = false;
                    return ref _bins[0];
                }
                slot = _index.Count;
                if (slot == _bins.Length)
                {
                    Array.Resize(ref _bins, _bins.Length * 2);
                    Array.Resize(ref _keys, _keys.Length * 2);
                }
                _index.Add(key, slot);
                _keys[slot] = key;
            }
            known = true;
            return ref _bins[slot];
        }

        public void Write(BinaryWriter writer)
        {
            writer.Write(_index.Count);
            for (var i = 0; i < _index.Count; i++)
            {
                writer.Write(_keys[i]);
                _bins[i].Write(writer);
            }
        }

        public void Read(BinaryReader reader, int maxBins)
        {
            var count = reader.ReadInt32();
            if (count < 0 || count > maxBins) throw new InvalidDataException($"The diagnosis state holds {count} speed bins; at most {maxBins} are allowed.");
            _index.Clear();
            _bins = new RunningStats[Math.Max(8, count)];
            _keys = new int[_bins.Length];
            for (var i = 0; i < count; i++)
            {
                var key = reader.ReadInt32();
                if (!_index.TryAdd(key, i)) throw new InvalidDataException("The diagnosis state repeats a speed bin.");
                _keys[i] = key;
                _bins[i] = RunningStats.Read(reader);
            }
            Smoothed = double.NaN;
            Trend = default;
        }
    }
}
