using System.Buffers.Binary;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.History;

/// <summary>
/// History that survives a restart, so a scraper can back-fill across one: values are kept in a
/// <see cref="MemoryHistoryStore"/> and appended to a file, which is read back at start and rewritten with only
/// what retention keeps when it has grown to twice that. Numeric scalar values are kept; others are not historized.
/// Appends are buffered and flushed by <see cref="FlushAsync"/> (the host calls it every second), so a crash loses
/// at most that much.
/// </summary>
public sealed class FileHistoryStore : IHistoryStore, IAsyncDisposable
{
    private const int MaxNodeIdLength = 4096;

    private readonly MemoryHistoryStore _memory;
    private readonly string _path;
    private readonly TimeSpan _retention;
    private readonly Lock _lock = new();
    private readonly Dictionary<NodeId, DateTime> _newest = [];
    private FileStream _file;
    private long _compactedLength;

    /// <summary>Opens (or creates) the file at <paramref name="path"/> and loads what retention still keeps.</summary>
    public FileHistoryStore(string path, int capacity, TimeSpan retention, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _path = Path.GetFullPath(path);
        _retention = retention;
        _memory = new MemoryHistoryStore(capacity, retention);
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        Load(time.GetUtcNow().UtcDateTime - retention);
        _file = Rewrite();
    }

    /// <summary>Values read back from the file at start.</summary>
    public int Loaded { get; private set; }

    /// <inheritdoc />
    public void Append(NodeId node, DataValue value)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (value.SourceTimestamp is not { } time) return;
        _memory.Append(node, value);
        var number = Number(value.Value);
        if (number is null && value.Value.Type != BuiltInType.Null) return;
        lock (_lock)
        {
            WriteRecord(_file, node, time, value.Status.Code, number);
            _newest[node] = time;
        }
    }

    /// <inheritdoc />
    public bool ReadRaw(NodeId node, DateTime from, DateTime to, int skip, int max, List<DataValue> into) => _memory.ReadRaw(node, from, to, skip, max, into);

    /// <inheritdoc />
    public DataValue? AtOrBefore(NodeId node, DateTime time) => _memory.AtOrBefore(node, time);

    /// <inheritdoc />
    public DataValue? AtOrAfter(NodeId node, DateTime time) => _memory.AtOrAfter(node, time);

    /// <summary>Writes buffered values to disk, and compacts the file once it doubled since the last compaction.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        Task flush;
        lock (_lock)
        {
            if (_file.Length > Math.Max(2 * _compactedLength, 1 << 20))
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

    private void Load(DateTime oldest)
    {
        if (!File.Exists(_path)) return;
        using var stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        Span<byte> header = stackalloc byte[2];
        Span<byte> body = stackalloc byte[8 + 4 + 1 + 8];
        var name = new byte[MaxNodeIdLength];
        while (true)
        {
            // A record cut short by a crash ends the file: what came before it is kept.
            if (stream.ReadAtLeast(header, 2, throwOnEndOfStream: false) < 2) return;
            var length = BinaryPrimitives.ReadUInt16LittleEndian(header);
            if (length is 0 or > MaxNodeIdLength) return;
            if (stream.ReadAtLeast(name.AsSpan(0, length), length, throwOnEndOfStream: false) < length) return;
            if (stream.ReadAtLeast(body, body.Length, throwOnEndOfStream: false) < body.Length) return;
            var ticks = BinaryPrimitives.ReadInt64LittleEndian(body);
            if (ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks) return;
            var time = new DateTime(ticks, DateTimeKind.Utc);
            if (time < oldest) continue;
            NodeId node;
            try
            {
                node = NodeId.Parse(System.Text.Encoding.UTF8.GetString(name, 0, length));
            }
            catch (FormatException)
            {
                return;
            }
            var status = BinaryPrimitives.ReadUInt32LittleEndian(body[8..]);
            var hasValue = body[12] != 0;
            var value = BinaryPrimitives.ReadDoubleLittleEndian(body[13..]);
            _memory.Append(node, new DataValue { Value = hasValue ? Variant.From(value) : Variant.Null, Status = status, SourceTimestamp = time });
            _newest[node] = time;
            Loaded++;
        }
    }

    /// <summary>Writes what memory keeps to a new file and swaps it in; returns the new file opened for appending.</summary>
    private FileStream Rewrite()
    {
        var temporary = _path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            var values = new List<DataValue>();
            foreach (var (node, newest) in _newest)
            {
                values.Clear();
                _memory.ReadRaw(node, newest - _retention, DateTime.MaxValue, 0, int.MaxValue, values);
                foreach (var value in values)
                {
                    WriteRecord(stream, node, value.SourceTimestamp!.Value, value.Status.Code, Number(value.Value));
                }
            }
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, _path, overwrite: true);
        var file = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read, 1 << 16);
        _compactedLength = file.Length;
        return file;
    }

    // The numeric scalars the file keeps, as doubles (Boolean as 0 or 1); null for anything else.
    private static double? Number(Variant value) =>
        value.TryGetNumber(out var number) ? number : value.TryGetBoolean(out var flag) ? (flag ? 1 : 0) : null;

    private static void WriteRecord(Stream stream, NodeId node, DateTime time, uint status, double? value)
    {
        var name = node.ToString();
        var length = System.Text.Encoding.UTF8.GetByteCount(name);
        if (length > MaxNodeIdLength) return;
        Span<byte> record = stackalloc byte[2 + length + 21];
        System.Text.Encoding.UTF8.GetBytes(name, record[2..]);
        BinaryPrimitives.WriteUInt16LittleEndian(record, (ushort)length);
        var body = record[(2 + length)..];
        BinaryPrimitives.WriteInt64LittleEndian(body, time.Ticks);
        BinaryPrimitives.WriteUInt32LittleEndian(body[8..], status);
        body[12] = value is null ? (byte)0 : (byte)1;
        BinaryPrimitives.WriteDoubleLittleEndian(body[13..], value ?? 0);
        stream.Write(record[..(2 + length + 21)]);
    }
}
