namespace ThermalPlant.OpcUa.Types;

/// <summary>A name qualified by a namespace index, used for BrowseNames (Part 3, 8.3).</summary>
/// <param name="NamespaceIndex">Namespace of the name.</param>
/// <param name="Name">The name; at most 512 characters.</param>
public readonly record struct QualifiedName(ushort NamespaceIndex, string? Name)
{
    /// <inheritdoc />
    public override string ToString() => NamespaceIndex == 0 ? Name ?? "" : $"{NamespaceIndex}:{Name}";
}
