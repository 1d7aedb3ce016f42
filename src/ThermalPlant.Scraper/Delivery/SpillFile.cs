using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace ThermalPlant.Scraper.Delivery;

/// <summary>
/// The append-only file items go to while storage cannot take them, in the format of an <see cref="ISpillCodec{T}"/>.
/// Records are appended and flushed to the operating system on every call, so a killed process loses nothing that was
/// appended; the position up to which items are known to be stored is kept in a side file, so a restart replays from
/// there (at most the batch in flight again, which storage keeps once). A torn record at the end (a kill in the middle
/// of a write) is cut off when the file is opened, and once everything is stored the file is deleted. A file in
/// another format (another build's) is renamed aside, never deleted. Not thread-safe: <see cref="SpillQueue{T}"/>
/// serializes access.
/// </summary>
/// <typeparam name="T">The item spilled.</typeparam>
internal sealed class SpillFile<T> : IDisposable
{
    // Read beyond what a batch usually needs, so that a block seldom cuts its last record.
    private const int BlockSlack = 1 << 16;

    private readonly ISpillCodec<T> _codec;
    private readonly string _path;
    private readonly string _positionPath;
    private readonly FileStream? _lock;
    private readonly MemoryStream _buffer = new();
    private readonly BinaryWriter _writer;
    private FileStream? _append;
    private FileStream? _read;

    /// <summary>
    /// Opens <c><paramref name="name"/>.bin</c> (and its position file <c>.pos</c>) in <paramref name="directory"/>,
    /// recovering one a previous run left; with <paramref name="lockFile"/>, first takes that file in the directory for
    /// this process alone.
    /// </summary>
    /// <exception cref="IOException">Another process holds <paramref name="lockFile"/>.</exception>
    /// <exception cref="InvalidDataException">The file is in this format but damaged.</exception>
    public SpillFile(string directory, string name, ISpillCodec<T> codec, string? lockFile = null)
    {
        _codec = codec;
        Directory.CreateDirectory(directory);
        _path = Path.Combine(directory, name + ".bin");
        _positionPath = Path.Combine(directory, name + ".pos");
        // Two processes appending to one file would interleave records; the lock file makes the second one fail at start.
        if (lockFile is not null) _lock = new FileStream(Path.Combine(directory, lockFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        _writer = new BinaryWriter(_buffer, Encoding.UTF8, leaveOpen: true);
        if (File.Exists(_path)) Recover();
    }

    /// <summary>Bytes in the file (0 when there is none).</summary>
    public long Length { get; private set; }

    /// <summary>Where the next read starts; everything before it is stored.</summary>
    public long ReadPosition { get; private set; }

    /// <summary>Items appended and not yet committed.</summary>
    public long Pending { get; private set; }

    /// <summary>Whether items wait in the file.</summary>
    public bool HasPending => Pending > 0;

    /// <summary>
    /// Where a file left in another format (a newer or older build's) was moved at open, so that it is kept for that
    /// build to replay instead of being lost; null when there was none.
    /// </summary>
    public string? SetAside { get; private set; }

    /// <summary>Appends <paramref name="items"/> and flushes them to the operating system.</summary>
    /// <exception cref="InvalidOperationException">An item's records are longer than the codec allows.</exception>
    public void Append(IEnumerable<T> items)
    {
        _buffer.SetLength(0);
        if (_append is null) _buffer.Write(_codec.Magic);
        var count = 0;
        foreach (var item in items)
        {
            var start = _buffer.Position;
            _codec.Write(_buffer, _writer, item);
            var length = _buffer.Position - start;
            if (length > _codec.MaxRecordBytes) throw new InvalidOperationException($"An item of {length} bytes is larger than a spill record may be ({_codec.MaxRecordBytes}).");
            count++;
        }
        if (count == 0) return;
        Pending += count;
        if (_append is null)
        {
            _append = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
            if (Length == 0) ReadPosition = _codec.Magic.Length;
        }
        _append.Write(_buffer.GetBuffer(), 0, (int)_buffer.Length);
        _append.Flush();
        Length += _buffer.Length;
    }

    /// <summary>Reads up to <paramref name="max"/> items from <see cref="ReadPosition"/>; returns the position after them.</summary>
    /// <exception cref="InvalidDataException">The file is damaged.</exception>
    public long Read(List<T> into, int max)
    {
        ArgumentNullException.ThrowIfNull(into);
        _read ??= new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        var remaining = Length - ReadPosition;
        if (remaining <= 0 || max <= 0) return ReadPosition;
        // One read of a block, parsed in memory. Only what Append counted is read, so every record in range is whole
        // except possibly the one the block's end cuts, which is read next time; a block too small for even one record
        // grows, up to the longest record there may be.
        var size = (int)Math.Min(remaining, ((long)max * _codec.TypicalRecordBytes) + BlockSlack);
        while (true)
        {
            var block = ArrayPool<byte>.Shared.Rent(size);
            try
            {
                _read.Position = ReadPosition;
                _read.ReadExactly(block, 0, size);
                var consumed = Parse(block, size, into, max);
                if (consumed > 0) return ReadPosition + consumed;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(block);
            }
            if (size == remaining || size >= _codec.MaxRecordBytes + BlockSlack) throw new InvalidDataException($"{_path}: no whole record in {size} bytes at {ReadPosition}");
            size = (int)Math.Min(remaining, Math.Min((long)size * 2, _codec.MaxRecordBytes + BlockSlack));
        }
    }

    /// <summary>
    /// Notes that everything before <paramref name="position"/> is stored (<paramref name="items"/> of them); once the
    /// whole file is, it is deleted.
    /// </summary>
    public void Commit(long position, int items)
    {
        ReadPosition = position;
        Pending = Math.Max(0, Pending - items);
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
        _writer.Dispose();
        _buffer.Dispose();
        _lock?.Dispose();
    }

    /// <summary>Parses whole records of <paramref name="block"/> into <paramref name="into"/>; returns the bytes they took.</summary>
    private int Parse(byte[] block, int size, List<T> into, int max)
    {
        using var reader = new BinaryReader(new MemoryStream(block, 0, size, writable: false), Encoding.UTF8);
        var consumed = 0;
        var taken = 0;
        try
        {
            while (taken < max && consumed < size)
            {
                if (_codec.Read(reader, ReadPosition + consumed, out var item))
                {
                    into.Add(item);
                    taken++;
                }
                consumed = (int)reader.BaseStream.Position;
            }
        }
        catch (EndOfStreamException)
        {
            // The block's end cut this record: it is read whole next time.
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{_path}: {ex.Message}", ex);
        }
        return consumed;
    }

    private void Reset()
    {
        _append?.Dispose();
        _read?.Dispose();
        _append = null;
        _read = null;
        File.Delete(_path);
        File.Delete(_positionPath);
        _codec.Clear();
        Length = 0;
        ReadPosition = 0;
        Pending = 0;
    }

    /// <summary>Reads the file a previous run left: the codec's state, the committed position and the last whole record.</summary>
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
            var magic = reader.ReadBytes(_codec.Magic.Length);
            if (!magic.AsSpan().SequenceEqual(_codec.Magic))
            {
                file.Dispose();
                SetAside = MoveAside();
                return;
            }
            end = file.Position;
            try
            {
                while (file.Position < file.Length)
                {
                    if (_codec.Read(reader, file.Position, out _) && file.Position > committed) pending++;
                    end = file.Position;
                }
            }
            catch (EndOfStreamException)
            {
                // A torn record: the process was killed while appending it. Everything before it is whole.
            }
            catch (InvalidDataException ex)
            {
                throw new InvalidDataException($"{_path}: {ex.Message}", ex);
            }
        }
        using (var file = new FileStream(_path, FileMode.Open, FileAccess.Write, FileShare.None))
        {
            file.SetLength(end);
        }
        Length = end;
        ReadPosition = Math.Clamp(committed, _codec.Magic.Length, end);
        Pending = pending;
        _append = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
        if (Pending == 0) Reset();
    }

    /// <summary>Renames the file (and its position file) to the first free <c>.unreadable</c> name; returns it.</summary>
    private string MoveAside()
    {
        var aside = _path + ".unreadable";
        for (var n = 1; File.Exists(aside); n++) aside = $"{_path}.unreadable.{n}";
        File.Move(_path, aside);
        if (File.Exists(_positionPath)) File.Move(_positionPath, aside + ".pos");
        return aside;
    }
}
