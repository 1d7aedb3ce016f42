using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.History;

/// <summary>
/// Where a server keeps the raw values of its historizing variables, ordered by source timestamp. The host chooses it:
/// <see cref="MemoryHistoryStore"/> by default, a file-backed one to survive restarts.
/// </summary>
public interface IHistoryStore
{
    /// <summary>Records a value of <paramref name="node"/>; values without a source timestamp are not recorded.</summary>
    void Append(NodeId node, DataValue value);

    /// <summary>
    /// Values of <paramref name="node"/> with source timestamps in [<paramref name="from"/>, <paramref name="to"/>],
    /// oldest first, skipping the first <paramref name="skip"/> of them, at most <paramref name="max"/>, into
    /// <paramref name="into"/>; returns whether more values remain in the range.
    /// </summary>
    bool ReadRaw(NodeId node, DateTime from, DateTime to, int skip, int max, List<DataValue> into);

    /// <summary>The last value at or before <paramref name="time"/>, or null.</summary>
    DataValue? AtOrBefore(NodeId node, DateTime time);

    /// <summary>The first value at or after <paramref name="time"/>, or null.</summary>
    DataValue? AtOrAfter(NodeId node, DateTime time);
}
