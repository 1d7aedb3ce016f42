namespace ThermalPlant.Analytics.Diagnosis;

/// <summary>
/// Diagnoses the plant from its signals as an OPC UA client receives them (<c>Plant/Temperature/Upper|Lower</c>,
/// <c>Plant/RPM/MainShaft</c>, <c>Plant/Voltage/MainSupply</c>, <c>Plant/Audio/Spectrum/Band_N</c>), each with its
/// source timestamp and status code. Feed each data change to the method of its role, in arrival order; which node
/// plays which role is the caller's configuration. Causal and bounded: a verdict uses the samples so far only, and
/// the state is a few KB whatever the run's length. The diagnoser's clock is the latest timestamp of any signal, so
/// a reading that stops changing (through OPC UA: sends no more data changes) is judged stuck by the others' time.
/// Not thread-safe: call from one thread (or under one lock).
/// </summary>
public sealed class PlantDiagnoser
{
    private const int StateMagic = 0x44505454; // "TTPD"
    private const int StateVersion = 1;

    private readonly PlantDiagnosisOptions _options;
    private readonly MelBandLayout _layout;
    private readonly BearingDiagnoser _bearing;
    private readonly ThermocoupleWatch _upper;
    private readonly ThermocoupleWatch _lower;
    private readonly FurnaceModel _furnace;
    private readonly SupplyDiagnoser _supply;
    private readonly SpeedDiagnoser _speed;
    private readonly Finding[] _findings;
    private readonly int[] _reported;
    private readonly double[] _bands;
    private DateTime _clock;
    private DateTime _rpmAt;
    private double _rpm = double.NaN;
    private DateTime _frameAt;
    private int _frameUpdates;
    private bool _frameBad;

    /// <summary>A diagnoser for the machine <paramref name="options"/> describe; throws <see cref="ArgumentException"/> on invalid options.</summary>
    public PlantDiagnoser(PlantDiagnosisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        _options = options;
        _layout = new MelBandLayout(options.Spectrum);
        _bearing = new BearingDiagnoser(options.Bearing, _layout);
        _upper = new ThermocoupleWatch(PlantComponents.UpperThermocouple, options.Thermocouples);
        _lower = new ThermocoupleWatch(PlantComponents.LowerThermocouple, options.Thermocouples);
        _furnace = new FurnaceModel(options.Thermocouples, _upper.Finding, _lower.Finding);
        _upper.DriftEvidence = () => _furnace.DescribeDrift(upper: true);
        _lower.DriftEvidence = () => _furnace.DescribeDrift(upper: false);
        _supply = new SupplyDiagnoser(options.Supply);
        _speed = new SpeedDiagnoser(options.Speed);
        // In the order of PlantComponents.All.
        _findings = [_bearing.Finding, _speed.Finding, _upper.Finding, _lower.Finding, _furnace.Pair, _supply.Finding];
        _reported = new int[_findings.Length];
        _bands = new double[options.Spectrum.Bands];
        _bands.AsSpan().Fill(double.NaN);
    }

    /// <summary>
    /// Raised, on the calling thread, when a component's fault type or severity changes (a new fault, a worse or
    /// better one, or back to healthy with <see cref="FaultSeverity.None"/>).
    /// </summary>
    public event Action<Diagnosis>? Changed;

    /// <summary>The options in force.</summary>
    public PlantDiagnosisOptions Options => _options;

    /// <summary>The spectrum's band layout, for callers that map frequencies to bands.</summary>
    public MelBandLayout Layout => _layout;

    /// <summary>The latest timestamp of any signal: the diagnoser's clock.</summary>
    public DateTime Clock => _clock;

    /// <summary>Samples taken, over all signals.</summary>
    public long Samples { get; private set; }

    /// <summary>Samples skipped by rule: non-finite values, timestamps before the signal's previous one, band indexes out of range.</summary>
    public long Skipped { get; private set; }

    /// <summary>Spectra scored against a learned bearing baseline.</summary>
    public long SpectraScored => _bearing.Scored;

    /// <summary>The largest smoothed rise over the bearing's baseline at the fault orders, dB; NaN before one is scored.</summary>
    public double BearingRiseDb => _bearing.RiseDb;

    /// <summary>The furnace model's residual (kW of implied burner power) against its learned offset; NaN until learned.</summary>
    public double FurnaceResidualKw => _furnace.Residual;

    /// <summary>True once the furnace model has learned its offsets (after settling and <see cref="ThermocoupleDiagnosisOptions.LearnSeconds"/>).</summary>
    public bool FurnaceLearned => _furnace.Learned;

    /// <summary>One diagnosis per component of <see cref="PlantComponents.All"/>, healthy ones with <see cref="FaultSeverity.None"/>.</summary>
    public IReadOnlyList<Diagnosis> Diagnoses => [.. _findings.Select(f => f.ToDiagnosis())];

    /// <summary>The diagnoses in force (severity above <see cref="FaultSeverity.None"/>).</summary>
    public IReadOnlyList<Diagnosis> Active => [.. _findings.Where(f => f.Active).Select(f => f.ToDiagnosis())];

    /// <summary>The upper thermocouple's reading, degC, with its OPC UA status code.</summary>
    public void OnUpperTemperature(DateTime timestampUtc, double celsius, uint statusCode = SignalStatus.Good)
    {
        if (!Accept(timestampUtc, celsius, statusCode)) return;
        _upper.OnSample(timestampUtc, celsius, statusCode);
        UpdateFurnace(timestampUtc);
        Publish();
    }

    /// <summary>The lower thermocouple's reading, degC, with its OPC UA status code.</summary>
    public void OnLowerTemperature(DateTime timestampUtc, double celsius, uint statusCode = SignalStatus.Good)
    {
        if (!Accept(timestampUtc, celsius, statusCode)) return;
        _lower.OnSample(timestampUtc, celsius, statusCode);
        UpdateFurnace(timestampUtc);
        Publish();
    }

    /// <summary>The main shaft's speed, rpm, with its OPC UA status code.</summary>
    public void OnShaftSpeed(DateTime timestampUtc, double rpm, uint statusCode = SignalStatus.Good)
    {
        if (!Accept(timestampUtc, rpm, statusCode)) return;
        if (SignalStatus.IsGood(statusCode) && rpm > 0)
        {
            _rpm = rpm;
            _rpmAt = timestampUtc;
        }
        _speed.OnSample(timestampUtc, rpm, statusCode);
        UpdateFurnace(timestampUtc);
        Publish();
    }

    /// <summary>The main supply's voltage, V, with its OPC UA status code.</summary>
    public void OnSupplyVoltage(DateTime timestampUtc, double volts, uint statusCode = SignalStatus.Good)
    {
        if (!Accept(timestampUtc, volts, statusCode)) return;
        _supply.OnSample(timestampUtc, volts, statusCode);
        Publish();
    }

    /// <summary>A whole mel spectrum (dB per band, <see cref="SpectrumLayoutOptions.Bands"/> values) with its OPC UA status code.</summary>
    public void OnSpectrum(DateTime timestampUtc, ReadOnlySpan<double> bandsDb, uint statusCode = SignalStatus.Good)
    {
        if (bandsDb.Length != _bands.Length)
        {
            Skipped++;
            return;
        }
        FlushFrame();
        if (!Accept(timestampUtc, 0, statusCode)) return;
        if (!SignalStatus.IsGood(statusCode)) return;
        bandsDb.CopyTo(_bands);
        ScoreSpectrum(timestampUtc);
        Publish();
    }

    /// <summary>
    /// One band of the spectrum, as OPC UA delivers <c>Band_N</c> one node at a time. A frame is scored once every band
    /// has reported for its timestamp, or when a band of a later timestamp arrives (a band whose value did not change
    /// sends no data change, so its previous value stands).
    /// </summary>
    public void OnSpectrumBand(DateTime timestampUtc, int band, double db, uint statusCode = SignalStatus.Good)
    {
        if ((uint)band >= (uint)_bands.Length || timestampUtc < _frameAt)
        {
            Skipped++;
            return;
        }
        if (timestampUtc > _frameAt) FlushFrame();
        if (!Accept(timestampUtc, db, statusCode)) return;
        _frameAt = timestampUtc;
        _frameUpdates++;
        _frameBad |= !SignalStatus.IsGood(statusCode);
        _bands[band] = db;
        if (_frameUpdates >= _bands.Length) FlushFrame();
        Publish();
    }

    /// <summary>Writes what was learned (baselines, offsets, noise levels) to <paramref name="stream"/>; signal history is not kept.</summary>
    public void WriteState(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(StateMagic);
        writer.Write(StateVersion);
        writer.Write(_bands.Length);
        _bearing.Write(writer);
        _upper.Write(writer);
        _lower.Write(writer);
        _furnace.Write(writer);
        _supply.Write(writer);
        _speed.Write(writer);
    }

    /// <summary>
    /// Replaces what was learned with a state <see cref="WriteState"/> wrote for the same options; throws
    /// <see cref="InvalidDataException"/> on a state it cannot use (then start afresh). Current diagnoses are cleared.
    /// </summary>
    public void ReadState(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        try
        {
            if (reader.ReadInt32() != StateMagic) throw new InvalidDataException("Not a plant diagnosis state.");
            var version = reader.ReadInt32();
            if (version != StateVersion) throw new InvalidDataException($"Plant diagnosis state version {version} is not {StateVersion}.");
            if (reader.ReadInt32() != _bands.Length) throw new InvalidDataException("The diagnosis state was written for another spectrum layout.");
            foreach (var finding in _findings) finding.Clear();
            _bearing.Read(reader);
            _upper.Read(reader);
            _lower.Read(reader);
            _furnace.Read(reader);
            _supply.Read(reader);
            _speed.Read(reader);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("The plant diagnosis state is truncated.", ex);
        }
        Publish();
    }

    private bool Accept(DateTime timestamp, double value, uint status)
    {
        if (SignalStatus.IsGood(status) && !double.IsFinite(value))
        {
            Skipped++;
            return false;
        }
        Samples++;
        if (timestamp > _clock)
        {
            _clock = timestamp;
            _upper.Tick(timestamp);
            _lower.Tick(timestamp);
        }
        return true;
    }

    private void UpdateFurnace(DateTime now)
    {
        if (double.IsNaN(_rpm)) return;
        _furnace.Update(now, _upper.Usable, _lower.Usable, _rpm);
    }

    private void FlushFrame()
    {
        if (_frameUpdates == 0) return;
        var bad = _frameBad;
        _frameUpdates = 0;
        _frameBad = false;
        if (bad || Array.Exists(_bands, double.IsNaN)) return;
        ScoreSpectrum(_frameAt);
    }

    private void ScoreSpectrum(DateTime at)
    {
        if (double.IsNaN(_rpm) || Math.Abs((at - _rpmAt).TotalSeconds) > _options.Bearing.MaxSpeedAgeSeconds) return;
        _bearing.OnSpectrum(at, _bands, _rpm);
    }

    private void Publish()
    {
        for (var i = 0; i < _findings.Length; i++)
        {
            if (_findings[i].Version == _reported[i]) continue;
            _reported[i] = _findings[i].Version;
            Changed?.Invoke(_findings[i].ToDiagnosis());
        }
    }
}
