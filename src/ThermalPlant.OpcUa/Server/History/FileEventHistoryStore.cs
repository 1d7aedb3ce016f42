using System.Buffers.Binary;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Server.Events;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.History;

/// <summary>
/// Event history that survives a restart, so that a client can back-fill the events of an outage: events are kept in a
/// <see cref="MemoryEventHistoryStore"/> and appended to a file (each event with every field, in the OPC UA binary
/// encoding), which is read back at start and rewritten with only what the memory store keeps once it has doubled.
/// Appends are buffered and written by <see cref="FlushAsync"/> (a host calls it every second), so a crash loses at
/// most that much; a record cut short or damaged ends what is read back. Each flush also drops the events older than
/// the retention by the clock, so a quiet server does not keep them (the memory store alone measures the retention
/// from its newest event); the file sheds them at its next compaction.
/// </summary>
public sealed class FileEventHistoryStore : IEventHistoryStore, IAsyncDisposable
{
    /// <summary>The largest record read back; an event encodes to well under a kilobyte.</summary>
    private const int MaxRecordLength = 1 << 20;

    private const int MinCompactionLength = 1 << 20;

    private readonly MemoryEventHistoryStore _memory;
    private readonly string _path;
    private readonly Lock _lock = new();
    private readonly TimeSpan _retention;
    private readonly TimeProvider _time;
    private FileStream _file;
    private long _compactedLength;

    /// <summary>
    /// Opens (or creates) the file at <paramref name="path"/> and loads the events of the last <paramref name="retention"/>
    /// (at most <paramref name="capacity"/>, the newest).
    /// </summary>
    public FileEventHistoryStore(string path, int capacity, TimeSpan retention, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(time);
        _path = Path.GetFullPath(path);
        _retention = retention;
        _time = time;
        _memory = new MemoryEventHistoryStore(capacity, retention);
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        Load(time.GetUtcNow().UtcDateTime - retention);
        _file = Rewrite();
    }

    /// <summary>Events read back from the file at start.</summary>
    public int Loaded { get; private set; }

    /// <summary>Events kept.</summary>
    public int Count => _memory.Count;

    /// <inheritdoc />
    public void Append(UaEvent e, IReadOnlyList<NodeId> notifiers)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(notifiers);
        using var record = new BinaryEncoder(1024);
        EventRecord.Encode(record, e, notifiers);
        // Memory and file together, so that a compaction in between neither loses nor repeats the event.
        lock (_lock)
        {
            _memory.Append(record.Written, notifiers, EventHistoryPosition.TimeOf(e));
            WriteRecord(_file, record.Written);
        }
    }

    /// <inheritdoc />
    public bool Read(NodeId notifier, DateTime from, DateTime to, EventHistoryPosition? after, bool newestFirst, int max, List<StoredEvent> into) =>
        _memory.Read(notifier, from, to, after, newestFirst, max, into);

    /// <summary>Writes buffered events to disk, and compacts the file once it doubled since the last compaction.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        Task flush;
        lock (_lock)
        {
            _memory.DropBefore(_time.GetUtcNow().UtcDateTime - _retention);
            if (_file.Length > Math.Max(2 * _compactedLength, MinCompactionLength))
            {
                _file.Dispose();
                _file = Rewrite();
                return;
            }
            flush = _file.FlushAsync(cancellationToken);
        }
        await flush;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        FileStream file;
        lock (_lock) file = _file;
        await file.FlushAsync();
        await file.DisposeAsync();
    }

    /// <summary>A record on disk: its length (UInt32), then the encoded event.</summary>
    private static void WriteRecord(Stream stream, ReadOnlySpan<byte> record)
    {
        Span<byte> header = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)record.Length);
        stream.Write(header);
        stream.Write(record);
    }

    private void Load(DateTime oldest)
    {
        if (!File.Exists(_path)) return;
        using var stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        Span<byte> header = stackalloc byte[4];
        var buffer = new byte[4096];
        while (true)
        {
            // A record cut short by a crash, or damaged, ends the file: what came before it is kept.
            if (stream.ReadAtLeast(header, 4, throwOnEndOfStream: false) < 4) return;
            var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
            if (length is 0 or > MaxRecordLength) return;
            if (buffer.Length < length) buffer = new byte[length];
            if (stream.ReadAtLeast(buffer.AsSpan(0, (int)length), (int)length, throwOnEndOfStream: false) < length) return;
            (UaEvent Event, NodeId[] Notifiers) read;
            try
            {
                read = EventRecord.Decode(buffer.AsSpan(0, (int)length));
            }
            catch (OpcUaException)
            {
                return;
            }
            if (EventHistoryPosition.TimeOf(read.Event) < oldest) continue;
            _memory.Append(buffer.AsSpan(0, (int)length), read.Notifiers, EventHistoryPosition.TimeOf(read.Event));
            Loaded++;
        }
    }

    /// <summary>Writes what memory keeps to a new file and swaps it in; returns the new file opened for appending.</summary>
    private FileStream Rewrite()
    {
        var temporary = _path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            foreach (var stored in _memory.Snapshot()) WriteRecord(stream, stored.Record);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, _path, overwrite: true);
        var file = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read, 1 << 16);
        _compactedLength = file.Length;
        return file;
    }
}
