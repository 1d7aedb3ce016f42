using ThermalPlant.OpcUa.Types;
using ThermalPlant.Storage.Writing;

namespace ThermalPlant.Scraper.Sources.OpcUa;

/// <summary>
/// A variable collected from an endpoint, with its tag and what the source knows about its values. It outlives a
/// session, so that a new session back-fills from the last value received rather than from the database.
/// </summary>
internal sealed class ScrapedVariable(NodeId node, TagKey tag)
{
    private TagKey[] _elements = [];

    public NodeId Node { get; } = node;

    /// <summary>The tag of a scalar value; array elements get theirs from <see cref="Element"/>.</summary>
    public TagKey Tag { get; private set; } = tag;

    /// <summary>The newest source timestamp queued for storage.</summary>
    public DateTime? LastTimestamp { get; set; }

    /// <summary>The newest timestamp the database held when the session started.</summary>
    public DateTime? StoredTimestamp { get; set; }

    /// <summary>Whether a value arrived in this session (the first one is preceded by a back-fill).</summary>
    public bool Seen { get; set; }

    /// <summary>Whether a back-fill was interrupted and must run before the next value is queued.</summary>
    public bool BackfillPending { get; set; }

    /// <summary>Whether the server answered that it keeps no history for the variable.</summary>
    public bool NoHistory { get; set; }

    /// <summary>Takes the names of a new browse (a node renamed on the server keeps its identity, the node id).</summary>
    public void Rename(TagKey tag)
    {
        if (tag.SensorName == Tag.SensorName && tag.TagName == Tag.TagName) return;
        Tag = tag;
        _elements = [];
    }

    /// <summary>
    /// The tag of array element <paramref name="index"/>: the node id and the tag name with the suffix
    /// <c>[index]</c> (flat, row-major index for matrices), so each element is its own series.
    /// </summary>
    public TagKey Element(int index)
    {
        var elements = _elements;
        if (index >= elements.Length)
        {
            var grown = new TagKey[Math.Max(index + 1, elements.Length * 2)];
            elements.CopyTo(grown, 0);
            _elements = elements = grown;
        }
        return elements[index] ??= new TagKey(Tag.Endpoint, $"{Tag.NodeId}[{index}]", Tag.SensorName, $"{Tag.TagName}[{index}]");
    }
}
