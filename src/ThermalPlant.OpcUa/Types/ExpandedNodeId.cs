namespace ThermalPlant.OpcUa.Types;

/// <summary>A NodeId that may name its namespace by URI and live on another server (Part 4, 7.16).</summary>
/// <param name="NodeId">The node id.</param>
/// <param name="NamespaceUri">The namespace URI, which takes precedence over the index when present.</param>
/// <param name="ServerIndex">Index in the server table; 0 is the local server.</param>
public sealed record ExpandedNodeId(NodeId NodeId, string? NamespaceUri = null, uint ServerIndex = 0)
{
    /// <summary>The null ExpandedNodeId.</summary>
    public static ExpandedNodeId Null { get; } = new(NodeId.Null);
}
