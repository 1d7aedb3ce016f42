using System.Buffers.Binary;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Encoding;

/// <summary>
/// NodeIds decoded before, found again by their encoded bytes, so that a client asking for the same nodes request after
/// request (and sending the same session token) costs no new NodeId, string or byte array per request. A decoder given
/// the cache (<see cref="BinaryDecoder(ReadOnlySpan{byte}, EncodingLimits?, NodeIdCache?)"/>) looks each NodeId of at most
/// <see cref="MaxEncodedLength"/> bytes up before decoding it, and adds what it decoded.
/// </summary>
/// <remarks>
/// A fixed table of <see cref="Slots"/> slots in pairs, each pair holding the last two NodeIds whose bytes hashed to it:
/// its memory is bounded (at most about 1 MB when every slot holds a NodeId of the largest size) whatever a peer sends,
/// and a peer sending many different NodeIds, or ids that share a pair, only replaces entries (they are then decoded as
/// without the cache). Safe for any number of threads without a lock: an entry is immutable
/// and replaced whole. NodeIds are immutable, so one instance may serve every request that names it.
/// </remarks>
public sealed class NodeIdCache
{
    /// <summary>The longest encoded NodeId kept (a string id of up to about 120 UTF-8 bytes, an opaque one of as many).</summary>
    public const int MaxEncodedLength = 128;

    /// <summary>Slots of the table, in pairs.</summary>
    public const int Slots = 2 << PairBits;

    private const int PairBits = 11;

    private readonly Entry?[] _entries = new Entry?[Slots];

    /// <summary>The NodeId encoded as <paramref name="encoded"/>, when the cache holds it.</summary>
    public bool TryGet(ReadOnlySpan<byte> encoded, out NodeId nodeId)
    {
        var pair = Pair(encoded);
        var entry = Volatile.Read(ref _entries[pair]);
        if (entry is null || !encoded.SequenceEqual(entry.Encoded)) entry = Volatile.Read(ref _entries[pair + 1]);
        if (entry is not null && encoded.SequenceEqual(entry.Encoded))
        {
            nodeId = entry.NodeId;
            return true;
        }
        nodeId = NodeId.Null;
        return false;
    }

    /// <summary>Keeps <paramref name="nodeId"/>, decoded from <paramref name="encoded"/> (up to <see cref="MaxEncodedLength"/> bytes), as the newest of its pair.</summary>
    public void Add(ReadOnlySpan<byte> encoded, NodeId nodeId)
    {
        ArgumentNullException.ThrowIfNull(nodeId);
        if (encoded.Length is 0 or > MaxEncodedLength) return;
        var pair = Pair(encoded);
        // The newest first; the one it displaces moves to the pair's second slot. Threads racing here may lose an entry,
        // which is then decoded again: never a wrong one, as every entry is checked against the bytes.
        var entry = new Entry(encoded.ToArray(), nodeId);
        if (Volatile.Read(ref _entries[pair]) is { } previous) Volatile.Write(ref _entries[pair + 1], previous);
        Volatile.Write(ref _entries[pair], entry);
    }

    // The length and the first and last eight bytes, mixed: a string id's end (its running number) and a token's random
    // bytes tell entries apart. Fixed, not seeded: ids that share a pair cost only their decoding.
    private static int Pair(ReadOnlySpan<byte> encoded)
    {
        ulong first;
        ulong last;
        if (encoded.Length >= 8)
        {
            first = BinaryPrimitives.ReadUInt64LittleEndian(encoded);
            last = BinaryPrimitives.ReadUInt64LittleEndian(encoded[^8..]);
        }
        else
        {
            Span<byte> padded = stackalloc byte[8];
            padded.Clear();
            encoded.CopyTo(padded);
            first = BinaryPrimitives.ReadUInt64LittleEndian(padded);
            last = 0;
        }
        var mixed = ((first * 0x9E3779B97F4A7C15UL) ^ (last * 0xC2B2AE3D27D4EB4FUL) ^ (ulong)encoded.Length) * 0x165667B19E3779F9UL;
        return (int)(mixed >> (64 - PairBits)) << 1;
    }

    private sealed record Entry(byte[] Encoded, NodeId NodeId);
}
