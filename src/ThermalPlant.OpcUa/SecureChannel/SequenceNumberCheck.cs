using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.SecureChannel;

/// <summary>
/// Checks that a peer's sequence numbers increase by exactly one (Part 6, 6.7.2.4). They may wrap only after
/// passing UInt32.MaxValue - 1024, to a value below 1024; anything else is BadSequenceNumberInvalid.
/// </summary>
public sealed class SequenceNumberCheck
{
    private uint? _last;

    /// <summary>Accepts <paramref name="sequenceNumber"/> as the next one, or throws.</summary>
    public void Accept(uint sequenceNumber)
    {
        if (_last is { } last)
        {
            var wrapped = last > uint.MaxValue - 1024 && sequenceNumber < 1024;
            if (sequenceNumber != last + 1 && !wrapped)
            {
                throw new OpcUaException(StatusCodes.BadSequenceNumberInvalid, $"sequence number {sequenceNumber} after {last}");
            }
        }
        _last = sequenceNumber;
    }
}
