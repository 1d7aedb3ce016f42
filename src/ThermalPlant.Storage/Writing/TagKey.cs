namespace ThermalPlant.Storage.Writing;

/// <summary>
/// One variable of one endpoint: its identity is (<see cref="Endpoint"/>, <see cref="NodeId"/>); the names are what the
/// dashboards select by. A source creates one per variable and reuses it for every sample, so lookups compare references first.
/// </summary>
public sealed class TagKey : IEquatable<TagKey>
{
    private readonly int _hash;

    /// <summary>A tag; the names are stored when the tag is first resolved, and updated when it is resolved again with others.</summary>
    public TagKey(string endpoint, string nodeId, string sensorName, string tagName)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        ArgumentNullException.ThrowIfNull(sensorName);
        ArgumentNullException.ThrowIfNull(tagName);
        Endpoint = endpoint;
        NodeId = nodeId;
        SensorName = sensorName;
        TagName = tagName;
        _hash = HashCode.Combine(StringComparer.Ordinal.GetHashCode(endpoint), StringComparer.Ordinal.GetHashCode(nodeId));
    }

    /// <summary>The endpoint the variable comes from (the seed's <c>clientid</c>).</summary>
    public string Endpoint { get; }

    /// <summary>The variable's NodeId, as text.</summary>
    public string NodeId { get; }

    /// <summary>The first level under the browse root, lower-cased (for example <c>temperature</c>).</summary>
    public string SensorName { get; }

    /// <summary>The rest of the path, lower-cased (for example <c>upper</c>).</summary>
    public string TagName { get; }

    /// <inheritdoc/>
    public bool Equals(TagKey? other) =>
        ReferenceEquals(this, other)
        || (other is not null && _hash == other._hash
            && string.Equals(Endpoint, other.Endpoint, StringComparison.Ordinal)
            && string.Equals(NodeId, other.NodeId, StringComparison.Ordinal));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as TagKey);

    /// <inheritdoc/>
    public override int GetHashCode() => _hash;

    /// <inheritdoc/>
    public override string ToString() => $"{Endpoint} {NodeId} ({SensorName}/{TagName})";
}
