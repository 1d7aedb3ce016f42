using System.Globalization;

namespace ThermalPlant.OpcUa.Types;

/// <summary>
/// Identifies a node in a server's address space (Part 3, 8.2): a namespace index and a numeric, string,
/// GUID or opaque identifier. Immutable; equality compares identifiers by value.
/// </summary>
public sealed class NodeId : IEquatable<NodeId>
{
    private readonly object? _identifier;

    private NodeId(ushort namespaceIndex, NodeIdType type, uint numeric, object? identifier)
    {
        NamespaceIndex = namespaceIndex;
        IdType = type;
        Numeric = numeric;
        _identifier = identifier;
    }

    /// <summary>The null NodeId (ns=0;i=0).</summary>
    public static NodeId Null { get; } = new(0, NodeIdType.Numeric, 0, null);

    /// <summary>Namespace index.</summary>
    public ushort NamespaceIndex { get; }

    /// <summary>Kind of identifier.</summary>
    public NodeIdType IdType { get; }

    /// <summary>The numeric identifier (0 unless <see cref="IdType"/> is Numeric).</summary>
    public uint Numeric { get; }

    /// <summary>The string identifier, or null.</summary>
    public string? Text => _identifier as string;

    /// <summary>The GUID identifier, or empty.</summary>
    public Guid Guid => _identifier is Guid g ? g : Guid.Empty;

    /// <summary>The opaque identifier, or null.</summary>
    public ReadOnlyMemory<byte>? Opaque => _identifier is byte[] bytes ? bytes : null;

    /// <summary>Whether this is the null NodeId of its kind.</summary>
    public bool IsNull => IdType switch
    {
        NodeIdType.Numeric => NamespaceIndex == 0 && Numeric == 0,
        NodeIdType.String => string.IsNullOrEmpty(Text),
        NodeIdType.Guid => Guid == Guid.Empty,
        _ => _identifier is not byte[] { Length: > 0 },
    };

    /// <summary>A numeric NodeId.</summary>
    public static NodeId Of(uint id, ushort namespaceIndex = 0) => new(namespaceIndex, NodeIdType.Numeric, id, null);

    /// <summary>A string NodeId.</summary>
    public static NodeId Of(string id, ushort namespaceIndex) => new(namespaceIndex, NodeIdType.String, 0, id);

    /// <summary>A GUID NodeId.</summary>
    public static NodeId Of(Guid id, ushort namespaceIndex) => new(namespaceIndex, NodeIdType.Guid, 0, id);

    /// <summary>An opaque NodeId (the bytes are copied).</summary>
    public static NodeId Of(ReadOnlySpan<byte> id, ushort namespaceIndex) => new(namespaceIndex, NodeIdType.Opaque, 0, id.ToArray());

    /// <summary>Parses the standard string form: <c>i=85</c>, <c>ns=1;s=Plant.Temperature.Upper</c>, <c>ns=2;g=...</c>, <c>ns=3;b=base64</c>.</summary>
    public static NodeId Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        ushort ns = 0;
        var rest = text.AsSpan();
        if (rest.StartsWith("ns="))
        {
            var semicolon = rest.IndexOf(';');
            if (semicolon < 0 || !ushort.TryParse(rest[3..semicolon], NumberStyles.None, CultureInfo.InvariantCulture, out ns)) throw new FormatException($"'{text}' has no valid namespace index");
            rest = rest[(semicolon + 1)..];
        }
        if (rest.Length < 2 || rest[1] != '=') throw new FormatException($"'{text}' is not a NodeId");
        var value = rest[2..];
        return rest[0] switch
        {
            'i' when uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var numeric) => Of(numeric, ns),
            's' => Of(value.ToString(), ns),
            'g' when Guid.TryParse(value, out var guid) => Of(guid, ns),
            'b' => Of(Convert.FromBase64String(value.ToString()), ns),
            _ => throw new FormatException($"'{text}' is not a NodeId"),
        };
    }

    /// <inheritdoc />
    public bool Equals(NodeId? other) =>
        other is not null && NamespaceIndex == other.NamespaceIndex && IdType == other.IdType && IdType switch
        {
            NodeIdType.Numeric => Numeric == other.Numeric,
            NodeIdType.String => string.Equals(Text, other.Text, StringComparison.Ordinal),
            NodeIdType.Guid => Guid == other.Guid,
            _ => ((byte[]?)_identifier ?? []).AsSpan().SequenceEqual((byte[]?)other._identifier ?? []),
        };

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as NodeId);

    /// <inheritdoc />
    public override int GetHashCode() => IdType switch
    {
        NodeIdType.Numeric => HashCode.Combine(NamespaceIndex, Numeric),
        NodeIdType.String => HashCode.Combine(NamespaceIndex, StringComparer.Ordinal.GetHashCode(Text ?? "")),
        NodeIdType.Guid => HashCode.Combine(NamespaceIndex, Guid),
        _ => OpaqueHash(),
    };

    // The bytes, not only their length: sessions are found by opaque authentication tokens of one length, which would
    // otherwise all share one hash bucket.
    private int OpaqueHash()
    {
        var hash = new HashCode();
        hash.Add(NamespaceIndex);
        hash.AddBytes((byte[]?)_identifier ?? []);
        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var prefix = NamespaceIndex == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"ns={NamespaceIndex};");
        return IdType switch
        {
            NodeIdType.Numeric => string.Create(CultureInfo.InvariantCulture, $"{prefix}i={Numeric}"),
            NodeIdType.String => $"{prefix}s={Text}",
            NodeIdType.Guid => $"{prefix}g={Guid}",
            _ => $"{prefix}b={Convert.ToBase64String((byte[]?)_identifier ?? [])}",
        };
    }

    /// <summary>Equality by value.</summary>
    public static bool operator ==(NodeId? left, NodeId? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Inequality by value.</summary>
    public static bool operator !=(NodeId? left, NodeId? right) => !(left == right);
}
