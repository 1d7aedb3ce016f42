using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Client;

/// <summary>Which hierarchical references make the tree a browser walks to find a server's variables.</summary>
public static class TreeReferences
{
    private static readonly NodeId HasEventSource = NodeId.Of(ReferenceTypeIds.HasEventSource);
    private static readonly NodeId HasNotifier = NodeId.Of(ReferenceTypeIds.HasNotifier);

    /// <summary>
    /// True for the event hierarchy (HasEventSource and its subtype HasNotifier, Part 3): hierarchical references, but
    /// from a notifier to a node that already sits elsewhere in the tree, so a browser that followed them would reach a
    /// variable first by a shorter path and name it wrongly.
    /// </summary>
    public static bool IsEventHierarchy(NodeId referenceType) => referenceType == HasEventSource || referenceType == HasNotifier;
}
