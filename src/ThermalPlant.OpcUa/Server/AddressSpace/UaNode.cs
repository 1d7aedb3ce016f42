using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.AddressSpace;

/// <summary>A node of the address space with the attributes every node class has (Part 3, 5.2).</summary>
public class UaNode
{
    private readonly List<UaReference> _references = [];
    private readonly Lock _lock = new();

    /// <summary>Creates a node.</summary>
    public UaNode(NodeId nodeId, NodeClass nodeClass, QualifiedName browseName, LocalizedText displayName)
    {
        NodeId = nodeId;
        NodeClass = nodeClass;
        BrowseName = browseName;
        DisplayName = displayName;
    }

    /// <summary>The node's id.</summary>
    public NodeId NodeId { get; }

    /// <summary>The node's class.</summary>
    public NodeClass NodeClass { get; }

    /// <summary>The browse name.</summary>
    public QualifiedName BrowseName { get; }

    /// <summary>The display name.</summary>
    public LocalizedText DisplayName { get; init; }

    /// <summary>The description.</summary>
    public LocalizedText Description { get; init; }

    /// <summary>Whether a type node is abstract (types only).</summary>
    public bool IsAbstract { get; init; }

    /// <summary>
    /// The EventNotifier attribute of an Object (Part 3, 5.5.1): bit 0 SubscribeToEvents, bit 2 HistoryRead of events.
    /// Set by <see cref="Events.EventManager.MakeNotifier"/>, which clients can then subscribe to for events.
    /// </summary>
    public byte EventNotifier { get; internal set; }

    /// <summary>A snapshot of the node's references.</summary>
    public UaReference[] References
    {
        get
        {
            lock (_lock) return [.. _references];
        }
    }

    /// <summary>The target of the first forward HasTypeDefinition reference, or null.</summary>
    public NodeId? TypeDefinition
    {
        get
        {
            lock (_lock)
            {
                foreach (var reference in _references)
                {
                    if (reference.IsForward && reference.ReferenceTypeId.Numeric == ReferenceTypeIds.HasTypeDefinition && reference.ReferenceTypeId.NamespaceIndex == 0) return reference.TargetId;
                }
                return null;
            }
        }
    }

    internal void AddReference(UaReference reference)
    {
        lock (_lock) _references.Add(reference);
    }

    internal void RemoveReferencesTo(NodeId target)
    {
        lock (_lock) _references.RemoveAll(r => r.TargetId == target);
    }
}
