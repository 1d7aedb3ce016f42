using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;

namespace ThermalPlant.OpcUa.Types;

/// <summary>A structure carried as its encoding id and encoded body (Part 6, 5.2.2.15).</summary>
/// <param name="TypeId">The NodeId of the structure's encoding (e.g. its DefaultBinary).</param>
/// <param name="Encoding">How the body is encoded.</param>
/// <param name="Body">The encoded body; empty when <see cref="Encoding"/> is None.</param>
public sealed record ExtensionObject(NodeId TypeId, ExtensionObjectEncoding Encoding, ReadOnlyMemory<byte> Body)
{
    /// <summary>The null ExtensionObject.</summary>
    public static ExtensionObject Null { get; } = new(NodeId.Null, ExtensionObjectEncoding.None, ReadOnlyMemory<byte>.Empty);

    /// <summary>Wraps a structure of namespace 0 in its DefaultBinary encoding.</summary>
    public static ExtensionObject From(IEncodeable value)
    {
        ArgumentNullException.ThrowIfNull(value);
        using var encoder = new BinaryEncoder();
        value.Encode(encoder);
        return new ExtensionObject(NodeId.Of(value.EncodingId), ExtensionObjectEncoding.Binary, encoder.Written.ToArray());
    }

    /// <summary>
    /// The structure inside when it is a binary-encoded structure of namespace 0 that we know; null otherwise.
    /// A body that does not decode is a BadDecodingError.
    /// </summary>
    public IEncodeable? Decode()
    {
        if (Encoding != ExtensionObjectEncoding.Binary || TypeId.NamespaceIndex != 0 || TypeId.IdType != NodeIdType.Numeric) return null;
        var decoder = new BinaryDecoder(Body.Span);
        return EncodeableTypes.Decode(TypeId.Numeric, ref decoder);
    }
}
