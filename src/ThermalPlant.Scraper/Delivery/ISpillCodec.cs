namespace ThermalPlant.Scraper.Delivery;

/// <summary>
/// How one kind of item is written to and read from a <see cref="SpillFile{T}"/>: the file's magic and its records.
/// A codec may keep state per file (a table of tags, say); <see cref="Clear"/> forgets it when the file is deleted.
/// </summary>
/// <typeparam name="T">The item spilled.</typeparam>
internal interface ISpillCodec<T>
{
    /// <summary>The eight bytes a file of this format starts with; a file starting otherwise is set aside unread.</summary>
    ReadOnlySpan<byte> Magic { get; }

    /// <summary>Bytes a record usually takes, to size a read block for a batch.</summary>
    int TypicalRecordBytes { get; }

    /// <summary>The most bytes one item's records may take; a longer one is refused when written and a damaged file when read.</summary>
    int MaxRecordBytes { get; }

    /// <summary>Writes <paramref name="item"/>'s records through <paramref name="writer"/> at the end of <paramref name="buffer"/>, its stream.</summary>
    void Write(MemoryStream buffer, BinaryWriter writer, T item);

    /// <summary>
    /// Reads the record at <paramref name="position"/> in the file; false for a record that carries no item of its own.
    /// Throws <see cref="EndOfStreamException"/> for a record cut short and <see cref="InvalidDataException"/> for a damaged one.
    /// </summary>
    bool Read(BinaryReader reader, long position, out T item);

    /// <summary>Forgets what was learned from the file's records: the file is deleted and a new one starts.</summary>
    void Clear();
}
