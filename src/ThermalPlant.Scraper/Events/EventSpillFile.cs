using System.Buffers.Binary;
using System.Text;
using ThermalPlant.Storage.Events;

namespace ThermalPlant.Scraper.Events;

/// <summary>
/// The append-only file events go to while the database cannot take them, as the sample spill file is for values:
/// records are appended and flushed to the operating system on every call, the position up to which events are stored
/// is kept in a side file, a torn record at the end (a kill in the middle of a write) is cut off when the file is
/// opened, and once everything is stored the file is deleted. Not thread-safe: <see cref="EventQueue"/> serializes access.
/// </summary>
/// <remarks>
/// Format: the magic <c>TPEVENT1</c>, then records of a 4-byte little-endian length and the event's fields. A length
/// above <see cref="MaxRecordBytes"/> is a damaged file, refused rather than allocated.
/// </remarks>
internal sealed class EventSpillFile : IDisposable
{
    /// <summary>The largest record; an event's texts are bounded when it is received (<see cref="Sources.OpcUa.EventFields"/>), far below this.</summary>
    public const int MaxRecordBytes = 1 << 20;

    private static readonly byte[] Magic = "TPEVENT1"u8.ToArray();

    private readonly string _path;
    private readonly string _positionPath;
    private readonly MemoryStream _buffer = new();
    private FileStream? _append;
    private FileStream? _read;

    /// <summary>Opens the event spill file of <paramref name="directory"/>, recovering one a previous run left.</summary>
    public EventSpillFile(string directory)
    {
        Directory.CreateDirectory(directory);
        _path = Path.Combine(directory, "events.bin");
        _positionPath = Path.Combine(directory, "events.pos");
        if (File.Exists(_path)) Recover();
    }

    /// <summary>Bytes in the file (0 when there is none).</summary>
    public long Length { get; private set; }

    /// <summary>Where the next read starts; everything before it is stored.</summary>
    public long ReadPosition { get; private set; }

    /// <summary>Events appended and not yet committed.</summary>
    public long PendingEvents { get; private set; }

    /// <summary>Whether events wait in the file.</summary>
    public bool HasPending => PendingEvents > 0;

    /// <summary>Appends <paramref name="events"/> and flushes them to the operating system.</summary>
    public void Append(IEnumerable<StoredEvent> events)
    {
        _buffer.SetLength(0);
        if (_append is null) _buffer.Write(Magic);
        var count = 0;
        using (var writer = new BinaryWriter(_buffer, Encoding.UTF8, leaveOpen: true))
        {
            foreach (var e in events)
            {
                var start = _buffer.Position;
                writer.Write(0);
                Write(writer, e);
                var length = _buffer.Position - start - sizeof(int);
                if (length > MaxRecordBytes) throw new InvalidOperationException($"An event of {length} bytes is larger than a spill record may be ({MaxRecordBytes}).");
                BinaryPrimitives.WriteInt32LittleEndian(_buffer.GetBuffer().AsSpan((int)start, sizeof(int)), (int)length);
                count++;
            }
        }
        if (count == 0) return;
        PendingEvents += count;
        if (_append is null)
        {
            _append = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
            if (Length == 0) ReadPosition = Magic.Length;
        }
        _append.Write(_buffer.GetBuffer(), 0, (int)_buffer.Length);
        _append.Flush();
        Length += _buffer.Length;
    }

    /// <summary>Reads up to <paramref name="max"/> events from <see cref="ReadPosition"/>; returns the position after them.</summary>
    public long Read(List<StoredEvent> into, int max)
    {
        _read ??= new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        _read.Position = ReadPosition;
        using var reader = new BinaryReader(_read, Encoding.UTF8, leaveOpen: true);
        var position = ReadPosition;
        // Only what Append counted is read, so every record before Length is whole.
        while (into.Count < max && position < Length)
        {
            into.Add(ReadRecord(reader, position));
            position = _read.Position;
        }
        return position;
    }

    /// <summary>Notes that everything before <paramref name="position"/> is stored (<paramref name="events"/> of them); once the whole file is, it is deleted.</summary>
    public void Commit(long position, int events)
    {
        ReadPosition = position;
        PendingEvents = Math.Max(0, PendingEvents - events);
        if (ReadPosition >= Length)
        {
            Reset();
            return;
        }
        Span<byte> bytes = stackalloc byte[sizeof(long)];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, position);
        using var file = new FileStream(_positionPath, FileMode.Create, FileAccess.Write, FileShare.None);
        file.Write(bytes);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _append?.Dispose();
        _read?.Dispose();
        _buffer.Dispose();
    }

    private void Reset()
    {
        _append?.Dispose();
        _read?.Dispose();
        _append = null;
        _read = null;
        File.Delete(_path);
        File.Delete(_positionPath);
        Length = 0;
        ReadPosition = 0;
        PendingEvents = 0;
    }

    private static void Write(BinaryWriter writer, StoredEvent e)
    {
        writer.Write(e.Endpoint);
        writer.Write(e.EventId.Length);
        writer.Write(e.EventId);
        writer.Write(e.Time.Ticks);
        writer.Write(e.ReceiveTime.Ticks);
        writer.Write(e.EventType);
        WriteText(writer, e.SourceNode);
        WriteText(writer, e.SourceName);
        writer.Write(e.Severity);
        WriteText(writer, e.Message);
        WriteText(writer, e.ConditionId);
        WriteFlag(writer, e.Active);
        WriteFlag(writer, e.Acked);
        WriteFlag(writer, e.Confirmed);
        WriteFlag(writer, e.Retain);
        WriteText(writer, e.Comment);
    }

    private static void WriteText(BinaryWriter writer, string? text)
    {
        writer.Write(text is not null);
        if (text is not null) writer.Write(text);
    }

    private static void WriteFlag(BinaryWriter writer, bool? flag) => writer.Write(flag switch { null => (byte)2, true => (byte)1, false => (byte)0 });

    /// <summary>One record at <paramref name="position"/>; a length out of bounds or a record that does not parse as its length says is a damaged file.</summary>
    private StoredEvent ReadRecord(BinaryReader reader, long position)
    {
        var length = reader.ReadInt32();
        if (length is < 0 or > MaxRecordBytes) throw new InvalidDataException($"{_path}: a record of {length} bytes at {position}");
        var start = reader.BaseStream.Position;
        var endpoint = reader.ReadString();
        var idLength = reader.ReadInt32();
        if (idLength is < 0 or > MaxRecordBytes) throw new InvalidDataException($"{_path}: an EventId of {idLength} bytes at {position}");
        var e = new StoredEvent(
            endpoint,
            reader.ReadBytes(idLength),
            new DateTime(reader.ReadInt64(), DateTimeKind.Utc),
            new DateTime(reader.ReadInt64(), DateTimeKind.Utc),
            reader.ReadString(),
            ReadText(reader),
            ReadText(reader),
            reader.ReadInt32(),
            ReadText(reader),
            ReadText(reader),
            ReadFlag(reader),
            ReadFlag(reader),
            ReadFlag(reader),
            ReadFlag(reader),
            ReadText(reader));
        if (reader.BaseStream.Position - start != length) throw new InvalidDataException($"{_path}: the record at {position} is not {length} bytes long");
        return e;
    }

    private static string? ReadText(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadString() : null;

    private static bool? ReadFlag(BinaryReader reader) => reader.ReadByte() switch
    {
        0 => false,
        1 => true,
        2 => null,
        var other => throw new InvalidDataException($"a flag of value {other}"),
    };

    /// <summary>Reads the file a previous run left: the committed position and the last whole record.</summary>
    private void Recover()
    {
        var committed = 0L;
        if (File.Exists(_positionPath) && new FileInfo(_positionPath).Length == sizeof(long))
        {
            committed = BinaryPrimitives.ReadInt64LittleEndian(File.ReadAllBytes(_positionPath));
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
                File.Delete(_path);
                File.Delete(_positionPath);
                return;
            }
            end = file.Position;
            try
            {
                while (file.Position < file.Length)
                {
                    ReadRecord(reader, file.Position);
                    if (file.Position > committed) pending++;
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
        PendingEvents = pending;
        _append = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
        if (PendingEvents == 0) Reset();
    }
}
