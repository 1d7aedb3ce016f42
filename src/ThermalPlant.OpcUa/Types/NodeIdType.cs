namespace ThermalPlant.OpcUa.Types;

/// <summary>The kinds of NodeId identifier (Part 3, 8.2.3).</summary>
public enum NodeIdType
{
    /// <summary>A 32-bit number (<c>i=</c>).</summary>
    Numeric,
    /// <summary>A string (<c>s=</c>).</summary>
    String,
    /// <summary>A GUID (<c>g=</c>).</summary>
    Guid,
    /// <summary>Opaque bytes (<c>b=</c>, base64).</summary>
    Opaque,
}
