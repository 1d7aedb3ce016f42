namespace ThermalPlant.Analytics.Scalar;

/// <summary>
/// The input rules every scalar detector shares, so a model only ever sees finite values in strictly increasing time:
/// NaN and infinity, out-of-order and duplicate timestamps are skipped and counted (their score is 0); finite values
/// beyond ±1e150 are clamped and counted, then scored. The state written starts with a header naming the detector
/// and a fingerprint of its settings, so a state is only read back by a detector of the same kind and settings.
/// </summary>
public abstract class ScalarDetector : IScalarDetector
{
    /// <summary>The largest magnitude a value is scored at: its square and sums of squares stay finite.</summary>
    public const double MaxMagnitude = 1e150;

    private const int Magic = 0x44535054; // "TPSD"
    // 2: the ensemble's drift part added to its state; 3: the normal before a change of variance; 4: the weekly
    // profile's own offset, and whether it has taken over; 5: the ensemble's run of a seasonal residual biased to one side.
    private const byte Version = 5;

    private readonly int _fingerprint;
    private long _lastTicks = long.MinValue;
    private long _scored, _nonFinite, _outOfOrder, _duplicates, _clamped;

    /// <summary>Makes a detector whose state is tagged with <paramref name="kind"/> and the settings' fingerprint.</summary>
    private protected ScalarDetector(byte kind, ScalarDetectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Kind = kind;
        Options = options;
        _fingerprint = options.Fingerprint();
    }

    /// <summary>The detector's settings.</summary>
    public ScalarDetectorOptions Options { get; }

    /// <summary>What was done with the samples given so far.</summary>
    public ScalarSampleCounts Counts => new(_scored, _nonFinite, _outOfOrder, _duplicates, _clamped);

    /// <summary>True while the detector has not seen enough samples to score.</summary>
    public abstract bool IsLearning { get; }

    private byte Kind { get; }

    /// <inheritdoc />
    public AnomalyScore Update(DateTime timestampUtc, double value)
    {
        var ticks = timestampUtc.Ticks;
        if (!double.IsFinite(value))
        {
            _nonFinite++;
            return Skipped();
        }
        if (ticks < _lastTicks)
        {
            _outOfOrder++;
            return Skipped();
        }
        if (ticks == _lastTicks)
        {
            _duplicates++;
            return Skipped();
        }
        if (Math.Abs(value) > MaxMagnitude)
        {
            _clamped++;
            value = Math.CopySign(MaxMagnitude, value);
        }
        var elapsedSeconds = _lastTicks == long.MinValue ? double.NaN : (ticks - _lastTicks) / (double)TimeSpan.TicksPerSecond;
        _lastTicks = ticks;
        _scored++;
        return Score(timestampUtc, elapsedSeconds, value);
    }

    /// <inheritdoc />
    public void WriteState(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(Magic);
        writer.Write(Version);
        writer.Write(Kind);
        writer.Write(_fingerprint);
        writer.Write(_lastTicks);
        writer.Write(_scored);
        writer.Write(_nonFinite);
        writer.Write(_outOfOrder);
        writer.Write(_duplicates);
        writer.Write(_clamped);
        WriteModel(writer);
    }

    /// <inheritdoc />
    public void ReadState(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        try
        {
            if (reader.ReadInt32() != Magic) throw new InvalidDataException("not a scalar detector state");
            var version = reader.ReadByte();
            if (version != Version) throw new InvalidDataException($"scalar detector state version {version}, expected {Version}");
            var kind = reader.ReadByte();
            if (kind != Kind) throw new InvalidDataException($"state of detector kind {kind}, this detector is kind {Kind}");
            if (reader.ReadInt32() != _fingerprint) throw new InvalidDataException("state written by a detector with other settings");
            var lastTicks = reader.ReadInt64();
            Span<long> counts = stackalloc long[5];
            for (var i = 0; i < counts.Length; i++)
            {
                counts[i] = reader.ReadInt64();
                if (counts[i] < 0) throw new InvalidDataException("negative sample count in state");
            }
            // The model reads into a copy and commits only when all of it was valid, so a bad state changes nothing.
            ReadModel(reader);
            _lastTicks = lastTicks;
            (_scored, _nonFinite, _outOfOrder, _duplicates, _clamped) = (counts[0], counts[1], counts[2], counts[3], counts[4]);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("scalar detector state is truncated", ex);
        }
    }

    /// <summary>Scores a finite sample whose timestamp is later than every earlier one.</summary>
    /// <param name="timestampUtc">The sample's time.</param>
    /// <param name="elapsedSeconds">Seconds since the previous sample taken; NaN for the first.</param>
    /// <param name="value">The value, within ±<see cref="MaxMagnitude"/>.</param>
    private protected abstract AnomalyScore Score(DateTime timestampUtc, double elapsedSeconds, double value);

    /// <summary>Writes the model's state.</summary>
    private protected abstract void WriteModel(BinaryWriter writer);

    /// <summary>Reads the model's state; leaves the model unchanged and throws <see cref="InvalidDataException"/> when it is not valid.</summary>
    private protected abstract void ReadModel(BinaryReader reader);

    private AnomalyScore Skipped() => new(0, IsLearning ? AnomalyState.Learning : AnomalyState.Normal);
}
