using System.Text;
using ThermalPlant.Storage.Writing;

namespace ThermalPlant.Scraper.Delivery;

/// <summary>
/// The append-only file samples go to while the database cannot take them. Records are appended and flushed to the
/// operating system on every call, so a killed process loses nothing that was appended; the position up to which
/// samples are known to be stored is kept in a side file, so a restart replays from there (at most the batch in
/// flight again, which the idempotent writer stores once). A torn record at the end (a kill in the middle of a
/// write) is cut off when the file is opened. Not thread-safe: <see cref="SampleQueue"/> serializes access.
/// </summary>
/// <remarks>
/// Format: the magic <c>TPSPILL1</c>, then records. A tag record (<c>T</c>, id, endpoint, node id, sensor name,
/// tag name) comes before the first sample of its tag; a sample record (<c>S</c>, tag id, UTC ticks, value,
/// status) is 25 bytes. Tag ids are per file, so a file needs nothing outside itself to be replayed.
/// </remarks>
internal sealed class SpillFile : IDisposable
{
    private const byte TagRecord = (byte)'T';
    private const byte SampleRecord = (byte)'S';
    private const int SampleRecordSize = 25;
    private static readonly byte[] Magic = "TPSPILL1"u8.ToArray();

    private readonly string _path;
    private readonly string _positionPath;
    private readonly FileStream _lock;
    private readonly List<TagKey> _tagsById = [];
    private readonly Dictionary<TagKey, int> _ids = [];
    private readonly MemoryStream _buffer = new();
    private FileStream? _append;
    private FileStream? _read;

    /// <summary>Opens the spill file of <paramref name="directory"/>, recovering one a previous run left.</summary>
    /// <exception cref="IOException">Another scraper uses the directory.</exception>
    public SpillFile(string directory)
    {
        Directory.CreateDirectory(directory);
        _path = Path.Combine(directory, "spill.bin");
        _positionPath = Path.Combine(directory, "spill.pos");
        // Two scrapers appending to one file would interleave records; the lock file makes the second one fail at start.
        _lock = new FileStream(Path.Combine(directory, "scraper.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        if (File.Exists(_path)) Recover();
    }

    /// <summary>Bytes in the file (0 when there is none).</summary>
    public long Length { get; private set; }

    /// <summary>Where the next read starts; everything before it is stored.</summary>
    public long ReadPosition { get; private set; }

    /// <summary>Samples appended and not yet committed.</summary>
    public long PendingSamples { get; private set; }

    /// <summary>Whether samples wait in the file.</summary>
    public bool HasPending => PendingSamples > 0;

    /// <summary>
    /// Where a file left in another format (a newer or older build's) was moved at open, so that it is kept for that
    /// build to replay instead of being lost; null when there was none.
    /// </summary>
    public string? SetAside { get; private set; }

    /// <summary>Appends <paramref name="samples"/> and flushes them to the operating system.</summary>
    public void Append(IEnumerable<Sample> samples)
    {
        _buffer.SetLength(0);
        using (var writer = new BinaryWriter(_buffer, Encoding.UTF8, leaveOpen: true))
        {
            if (_append is null) writer.Write(Magic);
            var count = 0;
            foreach (var sample in samples)
            {
                if (!_ids.TryGetValue(sample.Tag, out var id))
                {
                    id = _tagsById.Count;
                    _tagsById.Add(sample.Tag);
                    _ids[sample.Tag] = id;
                    writer.Write(TagRecord);
                    writer.Write(id);
                    writer.Write(sample.Tag.Endpoint);
                    writer.Write(sample.Tag.NodeId);
                    writer.Write(sample.Tag.SensorName);
                    writer.Write(sample.Tag.TagName);
                }
                writer.Write(SampleRecord);
                writer.Write(id);
                writer.Write(sample.Timestamp.Ticks);
                writer.Write(sample.Value);
                writer.Write(sample.StatusCode);
                count++;
            }
            if (count == 0) return;
            PendingSamples += count;
        }
        if (_append is null)
        {
            _append = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
            if (Length == 0) ReadPosition = Magic.Length;
        }
        _append.Write(_buffer.GetBuffer(), 0, (int)_buffer.Length);
        _append.Flush();
        Length += _buffer.Length;
    }

    /// <summary>Reads up to <paramref name="max"/> samples from <see cref="ReadPosition"/>; returns the position after them.</summary>
    public long Read(List<Sample> into, int max)
    {
        _read ??= new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        // One read of the whole block, parsed in memory; only what Append counted is read, so every record in
        // range is whole except possibly the one the block size cuts, which is read next time.
        var size = (int)Math.Min(Length - ReadPosition, ((long)max * SampleRecordSize) + (1 << 16));
        var block = new byte[size];
        _read.Position = ReadPosition;
        _read.ReadExactly(block);
        using var reader = new BinaryReader(new MemoryStream(block, writable: false), Encoding.UTF8);
        var consumed = 0L;
        var taken = 0;
        try
        {
            while (taken < max && consumed < size)
            {
                if (ReadRecord(reader) is { } sample)
                {
                    into.Add(sample);
                    taken++;
                }
                consumed = reader.BaseStream.Position;
            }
        }
        catch (EndOfStreamException)
        {
        }
        return ReadPosition + consumed;
    }

    /// <summary>
    /// Notes that everything before <paramref name="position"/> is stored (<paramref name="samples"/> of them);
    /// once the whole file is, it is deleted.
    /// </summary>
    public void Commit(long position, int samples)
    {
        ReadPosition = position;
        PendingSamples = Math.Max(0, PendingSamples - samples);
        if (ReadPosition >= Length)
        {
            Reset();
            return;
        }
        Span<byte> bytes = stackalloc byte[sizeof(long)];
        BitConverter.TryWriteBytes(bytes, position);
        using var file = new FileStream(_positionPath, FileMode.Create, FileAccess.Write, FileShare.None);
        file.Write(bytes);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _append?.Dispose();
        _read?.Dispose();
        _buffer.Dispose();
        _lock.Dispose();
    }

    private void Reset()
    {
        _append?.Dispose();
        _read?.Dispose();
        _append = null;
        _read = null;
        File.Delete(_path);
        File.Delete(_positionPath);
        _tagsById.Clear();
        _ids.Clear();
        Length = 0;
        ReadPosition = 0;
        PendingSamples = 0;
    }

    private Sample? ReadRecord(BinaryReader reader)
    {
        var kind = reader.ReadByte();
        switch (kind)
        {
            case TagRecord:
                var id = reader.ReadInt32();
                var tag = new TagKey(reader.ReadString(), reader.ReadString(), reader.ReadString(), reader.ReadString());
                if (id == _tagsById.Count)
                {
                    _tagsById.Add(tag);
                    _ids[tag] = id;
                }
                return null;
            case SampleRecord:
                var tagId = reader.ReadInt32();
                var ticks = reader.ReadInt64();
                var value = reader.ReadDouble();
                var status = reader.ReadUInt32();
                if ((uint)tagId >= (uint)_tagsById.Count) throw new InvalidDataException($"{_path}: sample of unknown tag {tagId}");
                return new Sample(_tagsById[tagId], new DateTime(ticks, DateTimeKind.Utc), value, status);
            default:
                throw new InvalidDataException($"{_path}: unknown record kind {kind} at {reader.BaseStream.Position - 1}");
        }
    }

    /// <summary>Reads the file a previous run left: tags, the committed position, and the last whole record.</summary>
    private void Recover()
    {
        var committed = 0L;
        if (File.Exists(_positionPath) && new FileInfo(_positionPath).Length == sizeof(long))
        {
            committed = BitConverter.ToInt64(File.ReadAllBytes(_positionPath));
        }
        long end;
        long pending = 0;
        using (var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.None))
        using (var reader = new BinaryReader(file, Encoding.UTF8))
        {
            var magic = reader.ReadBytes(Magic.Length);
            if (!magic.AsSpan().SequenceEqual(Magic))
            {
                file.Dispose();
                var aside = _path + ".unreadable";
                for (var n = 1; File.Exists(aside); n++) aside = $"{_path}.unreadable.{n}";
                File.Move(_path, aside);
                if (File.Exists(_positionPath)) File.Move(_positionPath, aside + ".pos");
                SetAside = aside;
                return;
            }
            end = file.Position;
            try
            {
                while (file.Position < file.Length)
                {
                    var sample = ReadRecord(reader);
                    if (sample is not null && file.Position > committed) pending++;
                    end = file.Position;
                }
            }
            catch (EndOfStreamException)
            {
                // A torn record: the process was killed while appending it. Everything before it is whole.
            }
        }
        using (var file = new FileStream(_path, FileMode.Open, FileAccess.Write, FileShare.None))
        {
            file.SetLength(end);
        }
        Length = end;
        ReadPosition = Math.Clamp(committed, Magic.Length, end);
        PendingSamples = pending;
        _append = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
        if (PendingSamples == 0) Reset();
    }
}
