using System.Collections.Concurrent;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Events;

/// <summary>
/// Where the further fields of the events of one type sit in their field array: each browse path gets the next index
/// the first time an event of the type sets it, and keeps it for the process's life. Events of a type set the same
/// fields, so after the first event each event is one array of just its fields, without a dictionary of its own.
/// Thread-safe: lookups read an immutable map; a new path copies it.
/// </summary>
internal sealed class EventFieldTable
{
    /// <summary>Most distinct paths one type's table takes, so that a host setting made-up paths cannot grow it without bound.</summary>
    public const int MaxFields = 1024;

    private static readonly ConcurrentDictionary<NodeId, EventFieldTable> ByType = new();

    private readonly Lock _lock = new();
    private volatile Dictionary<string, int> _slots = new(StringComparer.Ordinal);

    // Each path as an OPC UA String (length, then UTF-8), as event records write it, by slot.
    private volatile byte[][] _encodedPaths = [];

    private EventFieldTable()
    {
    }

    /// <summary>Paths known for the type, which is the length its events' arrays start at.</summary>
    public int Count => _encodedPaths.Length;

    /// <summary>The table of the events of <paramref name="eventType"/>.</summary>
    public static EventFieldTable For(NodeId eventType) => ByType.GetOrAdd(eventType, static _ => new EventFieldTable());

    /// <summary>The index of <paramref name="path"/>, added when new.</summary>
    public int SlotOf(string path)
    {
        if (_slots.TryGetValue(path, out var slot)) return slot;
        lock (_lock)
        {
            if (_slots.TryGetValue(path, out slot)) return slot;
            if (_encodedPaths.Length >= MaxFields) throw new InvalidOperationException($"events of one type may have at most {MaxFields} distinct fields");
            slot = _encodedPaths.Length;
            // The array first: a reader that finds the slot finds its path too.
            _encodedPaths = [.. _encodedPaths, Encode(path)];
            _slots = new Dictionary<string, int>(_slots, StringComparer.Ordinal) { [path] = slot };
            return slot;
        }
    }

    /// <summary>The index of <paramref name="path"/>; false when no event of the type has set it.</summary>
    public bool TryGetSlot(string path, out int slot) => _slots.TryGetValue(path, out slot);

    /// <summary>The path at <paramref name="slot"/> as its binary encoding writes it (a String).</summary>
    public ReadOnlySpan<byte> EncodedPathAt(int slot) => _encodedPaths[slot];

    private static byte[] Encode(string path)
    {
        using var encoder = new BinaryEncoder(4 + (path.Length * 3));
        encoder.WriteString(path);
        return encoder.Written.ToArray();
    }
}
