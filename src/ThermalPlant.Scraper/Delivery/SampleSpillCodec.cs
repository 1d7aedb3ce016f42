using ThermalPlant.Storage.Writing;

namespace ThermalPlant.Scraper.Delivery;

/// <summary>
/// The samples' spill format. The magic <c>TPSPILL1</c>, then records: a tag record (<c>T</c>, id, endpoint, node id,
/// sensor name, tag name) comes before the first sample of its tag; a sample record (<c>S</c>, tag id, UTC ticks,
/// value, status) is 25 bytes. Tag ids are per file, so a file needs nothing outside itself to be replayed.
/// </summary>
internal sealed class SampleSpillCodec : ISpillCodec<Sample>
{
    private const byte TagRecord = (byte)'T';
    private const byte SampleRecord = (byte)'S';

    private readonly List<TagKey> _tagsById = [];
    private readonly Dictionary<TagKey, int> _ids = [];

    /// <summary>The sample spill file <c>spill.bin</c> of <paramref name="directory"/>, which also holds the directory's lock <c>scraper.lock</c>.</summary>
    /// <exception cref="IOException">Another scraper uses the directory.</exception>
    public static SpillFile<Sample> Open(string directory) => new(directory, "spill", new SampleSpillCodec(), "scraper.lock");

    /// <inheritdoc />
    public ReadOnlySpan<byte> Magic => "TPSPILL1"u8;

    /// <inheritdoc />
    public int TypicalRecordBytes => 25;

    /// <inheritdoc />
    public int MaxRecordBytes => 1 << 20;

    /// <inheritdoc />
    public void Write(MemoryStream buffer, BinaryWriter writer, Sample item)
    {
        if (!_ids.TryGetValue(item.Tag, out var id))
        {
            id = _tagsById.Count;
            _tagsById.Add(item.Tag);
            _ids[item.Tag] = id;
            writer.Write(TagRecord);
            writer.Write(id);
            writer.Write(item.Tag.Endpoint);
            writer.Write(item.Tag.NodeId);
            writer.Write(item.Tag.SensorName);
            writer.Write(item.Tag.TagName);
        }
        writer.Write(SampleRecord);
        writer.Write(id);
        writer.Write(item.Timestamp.Ticks);
        writer.Write(item.Value);
        writer.Write(item.StatusCode);
    }

    /// <inheritdoc />
    public bool Read(BinaryReader reader, long position, out Sample item)
    {
        var kind = reader.ReadByte();
        switch (kind)
        {
            case TagRecord:
                var id = reader.ReadInt32();
                var tag = new TagKey(reader.ReadString(), reader.ReadString(), reader.ReadString(), reader.ReadString());
                // Known already when this process wrote the file; learned when it recovers one a previous run left.
                if (id == _tagsById.Count)
                {
                    _tagsById.Add(tag);
                    _ids[tag] = id;
                }
                item = default;
                return false;
            case SampleRecord:
                var tagId = reader.ReadInt32();
                var ticks = reader.ReadInt64();
                var value = reader.ReadDouble();
                var status = reader.ReadUInt32();
                if ((uint)tagId >= (uint)_tagsById.Count) throw new InvalidDataException($"a sample of unknown tag {tagId} at {position}");
                item = new Sample(_tagsById[tagId], new DateTime(ticks, DateTimeKind.Utc), value, status);
                return true;
            default:
                throw new InvalidDataException($"an unknown record kind {kind} at {position}");
        }
    }

    /// <inheritdoc />
    public void Clear()
    {
        _tagsById.Clear();
        _ids.Clear();
    }
}
