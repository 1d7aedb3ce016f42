using System.Text;

namespace ThermalPlant.Analytics.Service.State;

/// <summary>What the state file holds: each tag's detector state and each diagnoser's, as the detectors wrote them.</summary>
/// <param name="Detectors">By tag path.</param>
/// <param name="Diagnosers">By diagnoser name.</param>
internal sealed record SavedState(IReadOnlyDictionary<string, byte[]> Detectors, IReadOnlyDictionary<string, byte[]> Diagnosers)
{
    /// <summary>No saved state (first start, or no state file).</summary>
    public static SavedState Empty { get; } = new(new Dictionary<string, byte[]>(), new Dictionary<string, byte[]>());
}

/// <summary>
/// The service's state file: a header (<c>TPAS</c>, format version), then the detector states by tag path and the
/// diagnoser states by name, each a length-prefixed block, so that one state a detector cannot read back costs that
/// tag only. Written to a temporary file and moved over the old one, so a crash mid-write leaves the last good file.
/// Every count and length read is bounded before anything is allocated for it.
/// </summary>
internal static class StateFile
{
    private const uint Magic = 0x53415054; // "TPAS" little-endian
    private const int Version = 1;
    private const int MaxEntries = 10_000_000;
    private const int MaxNameLength = 4096;

    /// <summary>The largest state one detector or diagnoser may have (a few KB is the design; this bounds a corrupt file).</summary>
    public const int MaxBlockLength = 16 * 1024 * 1024;

    /// <summary>Writes <paramref name="state"/> to <paramref name="path"/> atomically; returns the file's length.</summary>
    public static long Save(string path, SavedState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        var temporary = path + ".tmp";
        long length;
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024))
        {
            using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(Magic);
                writer.Write(Version);
                WriteBlocks(writer, state.Detectors);
                WriteBlocks(writer, state.Diagnosers);
            }
            stream.Flush(flushToDisk: true);
            length = stream.Length;
        }
        File.Move(temporary, path, overwrite: true);
        return length;
    }

    /// <summary>Reads the file; <see cref="SavedState.Empty"/> when there is none. Throws <see cref="InvalidDataException"/> on a file it cannot use.</summary>
    public static SavedState Load(string path)
    {
        if (!File.Exists(path)) return SavedState.Empty;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            if (reader.ReadUInt32() != Magic) throw new InvalidDataException($"{path} is not an analytics state file");
            var version = reader.ReadInt32();
            if (version != Version) throw new InvalidDataException($"{path} has state format {version}; this build reads {Version}");
            var detectors = ReadBlocks(reader, stream);
            var diagnosers = ReadBlocks(reader, stream);
            return new SavedState(detectors, diagnosers);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"{path} ends early", ex);
        }
    }

    private static void WriteBlocks(BinaryWriter writer, IReadOnlyDictionary<string, byte[]> blocks)
    {
        writer.Write(blocks.Count);
        foreach (var (name, block) in blocks)
        {
            writer.Write(name);
            writer.Write(block.Length);
            writer.Write(block);
        }
    }

    private static Dictionary<string, byte[]> ReadBlocks(BinaryReader reader, Stream stream)
    {
        var count = reader.ReadInt32();
        if (count is < 0 or > MaxEntries) throw new InvalidDataException($"a state file cannot hold {count} entries");
        var blocks = new Dictionary<string, byte[]>(Math.Min(count, 100_000), StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadString();
            if (name.Length > MaxNameLength) throw new InvalidDataException($"entry {i} has a name of {name.Length} characters");
            var length = reader.ReadInt32();
            if (length < 0 || length > MaxBlockLength || length > stream.Length - stream.Position) throw new InvalidDataException($"entry {name} claims {length} bytes");
            blocks[name] = reader.ReadBytes(length);
        }
        return blocks;
    }
}
