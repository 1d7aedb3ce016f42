using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Events;

/// <summary>
/// The selected fields of one event under one filter, shared by every monitored item (of every client) with that filter:
/// the fields are encoded once, on the first Publish that carries them, and the bytes are copied into every other.
/// </summary>
internal sealed class SelectedEvent(Variant[] fields)
{
    private byte[]? _encoded;

    /// <summary>The EventFields array as encoded in an EventFieldList (its count, then each Variant).</summary>
    public ReadOnlySpan<byte> Encoded
    {
        get
        {
            // Two publishes racing both encode the same bytes; either result serves.
            if (Volatile.Read(ref _encoded) is { } encoded) return encoded;
            using var encoder = new BinaryEncoder(512);
            encoder.WriteArray(fields, static (e, value) => e.WriteVariant(value));
            encoded = encoder.Written.ToArray();
            Volatile.Write(ref _encoded, encoded);
            return encoded;
        }
    }
}
