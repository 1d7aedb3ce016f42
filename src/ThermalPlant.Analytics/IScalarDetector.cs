namespace ThermalPlant.Analytics;

/// <summary>
/// Scores one tag's samples as they arrive, causally: a sample's score depends on it and earlier samples only.
/// State is bounded (a few KB) and can be written and read back, so a restart does not relearn.
/// </summary>
public interface IScalarDetector
{
    /// <summary>Scores one sample. Out-of-order, duplicate and non-finite samples are handled by rule, never thrown on.</summary>
    AnomalyScore Update(DateTime timestampUtc, double value);

    /// <summary>Writes the learned state, to be given to <see cref="ReadState"/> of a detector made with the same options.</summary>
    void WriteState(BinaryWriter writer);

    /// <summary>Replaces the learned state with one written by <see cref="WriteState"/>; throws <see cref="InvalidDataException"/> on a state it cannot use.</summary>
    void ReadState(BinaryReader reader);
}
