using System.Buffers.Binary;
using ThermalPlant.Scraper.Delivery;
using ThermalPlant.Storage.Events;

namespace ThermalPlant.Scraper.Events;

/// <summary>
/// The events' spill format: the magic <c>TPEVENT1</c>, then records of a 4-byte little-endian length and the event's
/// fields. A length above <see cref="MaxRecordBytes"/> is a damaged file, refused rather than allocated.
/// </summary>
internal sealed class EventSpillCodec : ISpillCodec<StoredEvent>
{
    private const int MaxRecord = 1 << 20;

    /// <summary>The event spill file <c>events.bin</c> of <paramref name="directory"/>, next to the sample spill file whose lock keeps a second scraper out.</summary>
    public static SpillFile<StoredEvent> Open(string directory) => new(directory, "events", new EventSpillCodec());

    /// <inheritdoc />
    public ReadOnlySpan<byte> Magic => "TPEVENT1"u8;

    /// <inheritdoc />
    public int TypicalRecordBytes => 256;

    /// <summary>The largest record; an event's texts are bounded when it is received (<see cref="Sources.OpcUa.EventFields"/>), far below this.</summary>
    public int MaxRecordBytes => MaxRecord;

    /// <inheritdoc />
    public void Write(MemoryStream buffer, BinaryWriter writer, StoredEvent item)
    {
        var start = buffer.Position;
        writer.Write(0);
        writer.Write(item.Endpoint);
        writer.Write(item.EventId.Length);
        writer.Write(item.EventId);
        writer.Write(item.Time.Ticks);
        writer.Write(item.ReceiveTime.Ticks);
        writer.Write(item.EventType);
        WriteText(writer, item.SourceNode);
        WriteText(writer, item.SourceName);
        writer.Write(item.Severity);
        WriteText(writer, item.Message);
        WriteText(writer, item.ConditionId);
        WriteFlag(writer, item.Active);
        WriteFlag(writer, item.Acked);
        WriteFlag(writer, item.Confirmed);
        WriteFlag(writer, item.Retain);
        WriteText(writer, item.Comment);
        // The length goes in front once known; one longer than MaxRecordBytes is refused by the file before it is written.
        var length = buffer.Position - start - sizeof(int);
        BinaryPrimitives.WriteInt32LittleEndian(buffer.GetBuffer().AsSpan((int)start, sizeof(int)), (int)Math.Min(length, int.MaxValue));
    }

    /// <inheritdoc />
    public bool Read(BinaryReader reader, long position, out StoredEvent item)
    {
        var length = reader.ReadInt32();
        if (length is < 0 or > MaxRecord) throw new InvalidDataException($"a record of {length} bytes at {position}");
        var start = reader.BaseStream.Position;
        var endpoint = reader.ReadString();
        var idLength = reader.ReadInt32();
        if (idLength is < 0 or > MaxRecord) throw new InvalidDataException($"an EventId of {idLength} bytes at {position}");
        item = new StoredEvent(
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
        if (reader.BaseStream.Position - start != length) throw new InvalidDataException($"the record at {position} is not {length} bytes long");
        return true;
    }

    /// <inheritdoc />
    public void Clear()
    {
    }

    private static void WriteText(BinaryWriter writer, string? text)
    {
        writer.Write(text is not null);
        if (text is not null) writer.Write(text);
    }

    private static void WriteFlag(BinaryWriter writer, bool? flag) => writer.Write(flag switch { null => (byte)2, true => (byte)1, false => (byte)0 });

    private static string? ReadText(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadString() : null;

    private static bool? ReadFlag(BinaryReader reader) => reader.ReadByte() switch
    {
        0 => false,
        1 => true,
        2 => null,
        var other => throw new InvalidDataException($"a flag of value {other}"),
    };
}
