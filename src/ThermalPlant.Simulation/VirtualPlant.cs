using ThermalPlant.Simulation.Dsp;

namespace ThermalPlant.Simulation;

/// <summary>
/// The simulated plant in virtual time, read as the sensors service reads it (tachometer window, averaged supply
/// conversions, thermocouple conversions, audio chunks analysed into the mel spectrum) and handed on as the OPC
/// server's client sees it: polled, and only when a value or its quality changed. Deterministic for a seed;
/// not thread-safe.
/// </summary>
public sealed class VirtualPlant
{
    private readonly VirtualPlantOptions _options;
    private readonly VirtualClock _clock;
    private readonly TimeSpan _tick;
    private readonly int _ticksPerPoll;
    private readonly int _pollsPerSpectrum;
    private readonly double[] _rpmWindow;
    private readonly PlantAudioSynthesizer? _synthesizer;
    private readonly AudioFeatureExtractor? _extractor;
    private readonly float[] _chunk = [];
    private readonly double[] _spectrum = [];
    private readonly double[] _mfcc = new double[1];
    private readonly Last _upper = new(), _lower = new(), _rpm = new(), _volts = new();
    private int _rpmCount, _rpmNext;
    private long _ticks;
    private long _polls;

    /// <summary>A plant for <paramref name="simulation"/> starting at <paramref name="start"/>, sampled per <paramref name="options"/>.</summary>
    public VirtualPlant(SimulationOptions simulation, VirtualPlantOptions options, DateTimeOffset start)
    {
        ArgumentNullException.ThrowIfNull(simulation);
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        _options = options;
        _clock = new VirtualClock(start);
        Model = new PlantModel(simulation, _clock);
        _tick = TimeSpan.FromSeconds(options.TachometerSeconds);
        _ticksPerPoll = Math.Max(1, (int)Math.Round(options.PollSeconds / options.TachometerSeconds));
        _rpmWindow = new double[options.RpmWindow];
        if (options.SpectrumSeconds is { } spectrumSeconds)
        {
            _pollsPerSpectrum = Math.Max(1, (int)Math.Round(spectrumSeconds / options.PollSeconds));
            _synthesizer = new PlantAudioSynthesizer(simulation, options.Audio.SampleRate);
            _extractor = new AudioFeatureExtractor(options.Audio, 1);
            _chunk = new float[Math.Max((options.Audio.FftSize / 2) + 1, (int)Math.Round(options.ChunkSeconds * options.Audio.SampleRate))];
            _spectrum = new double[_extractor.SpectrumBands];
        }
    }

    /// <summary>The plant: inject and clear faults here.</summary>
    public PlantModel Model { get; }

    /// <summary>The virtual time now.</summary>
    public DateTime Now => _clock.GetUtcNow().UtcDateTime;

    /// <summary>Spectra analysed so far.</summary>
    public long Spectra { get; private set; }

    /// <summary>Runs the plant for <paramref name="duration"/>, handing every data change to <paramref name="signals"/>.</summary>
    public void Run(TimeSpan duration, IPlantSignals signals)
    {
        ArgumentNullException.ThrowIfNull(signals);
        var end = _clock.GetUtcNow() + duration;
        while (_clock.GetUtcNow() + _tick <= end)
        {
            _clock.Advance(_tick);
            _ticks++;
            _rpmWindow[_rpmNext] = Model.ReadTachometerRpm();
            _rpmNext = (_rpmNext + 1) % _rpmWindow.Length;
            _rpmCount = Math.Min(_rpmCount + 1, _rpmWindow.Length);
            if (_ticks % _ticksPerPoll == 0) Poll(signals);
        }
    }

    /// <summary>
    /// The mel spectrum of one chunk of the plant's sound in <paramref name="state"/> (e.g. the current state
    /// without its wear tones, to measure what the wear adds), into <paramref name="bandsDb"/>.
    /// </summary>
    public void Analyse(PlantState state, Span<double> bandsDb)
    {
        if (_synthesizer is null || _extractor is null) throw new InvalidOperationException("This virtual plant has no audio (SpectrumSeconds is null).");
        _synthesizer.Synthesize(_chunk, state);
        _extractor.Compute(_chunk, bandsDb, _mfcc);
    }

    private void Poll(IPlantSignals signals)
    {
        _polls++;
        var now = Now;
        var upper = Model.ReadThermocouple(upper: true);
        if (_upper.Changed(upper.Celsius, !upper.Open)) signals.UpperTemperature(now, upper.Celsius, !upper.Open);
        var lower = Model.ReadThermocouple(upper: false);
        if (_lower.Changed(lower.Celsius, !lower.Open)) signals.LowerTemperature(now, lower.Celsius, !lower.Open);
        double sum = 0;
        for (var i = 0; i < _rpmCount; i++) sum += _rpmWindow[i];
        var rpm = sum / _rpmCount;
        if (_rpm.Changed(rpm, true)) signals.ShaftSpeed(now, rpm, true);
        double volts = 0;
        for (var i = 0; i < _options.VoltageAveraging; i++) volts += Model.ReadSupplyVolts();
        volts /= _options.VoltageAveraging;
        if (_volts.Changed(volts, true)) signals.SupplyVoltage(now, volts, true);
        if (_synthesizer is not null && _polls % _pollsPerSpectrum == 0)
        {
            Analyse(Model.Sample(), _spectrum);
            Spectra++;
            signals.Spectrum(now, _spectrum);
        }
    }

    /// <summary>The last value and quality handed on, for OPC UA's data change filter (status or value).</summary>
    private sealed class Last
    {
        private double _value = double.NaN;
        private bool? _good;

        public bool Changed(double value, bool good)
        {
            if (_good == good && (!good || value.Equals(_value))) return false;
            _good = good;
            _value = value;
            return true;
        }
    }
}
