namespace ThermalPlant.OpcUa.Types;

/// <summary>A structure carried as its encoding id and encoded body (Part 6, 5.2.2.15).</summary>
/// <param name="TypeId">The NodeId of the structure's encoding (e.g. its DefaultBinary).</param>
/// <param name="Encoding">How the body is encoded.</param>
/// <param name="Body">The encoded body; empty when <see cref="Encoding"/> is None.</param>
public sealed record ExtensionObject(NodeId TypeId, ExtensionObjectEncoding Encoding, ReadOnlyMemory<byte> Body)
{
    /// <summary>The null ExtensionObject.</summary>
    public static ExtensionObject Null { get; } = new(NodeId.Null, ExtensionObjectEncoding.None, ReadOnlyMemory<byte>.Empty);
}
