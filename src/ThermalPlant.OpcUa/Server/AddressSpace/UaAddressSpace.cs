using System.Collections.Concurrent;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.History;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.AddressSpace;

/// <summary>
/// The server's nodes, in memory: namespace 0's standard nodes (<see cref="Namespace0"/>) and the nodes a
/// host adds in its own namespace. Thread-safe; a host adds, removes and updates nodes while clients browse.
/// </summary>
public sealed class UaAddressSpace
{
    private readonly ConcurrentDictionary<NodeId, UaNode> _nodes = new();
    private readonly Lock _namespacesLock = new();
    private readonly List<string> _namespaces = ["http://opcfoundation.org/UA/"];

    /// <summary>Creates the address space with namespace 0 and the server's own URI as namespace 1.</summary>
    public UaAddressSpace(string applicationUri, IHistoryStore? history = null)
    {
        History = history ?? new MemoryHistoryStore();
        _namespaces.Add(applicationUri);
        Namespace0.Populate(this);
    }

    /// <summary>Where historizing variables record their values.</summary>
    public IHistoryStore History { get; }

    /// <summary>The namespace URIs, index = namespace index.</summary>
    public IReadOnlyList<string> Namespaces
    {
        get
        {
            lock (_namespacesLock) return [.. _namespaces];
        }
    }

    /// <summary>Registers a namespace URI (or finds it) and returns its index.</summary>
    public ushort RegisterNamespace(string uri)
    {
        lock (_namespacesLock)
        {
            var index = _namespaces.IndexOf(uri);
            if (index >= 0) return (ushort)index;
            _namespaces.Add(uri);
            return (ushort)(_namespaces.Count - 1);
        }
    }

    /// <summary>The node with <paramref name="nodeId"/>, or null.</summary>
    public UaNode? Find(NodeId nodeId) => _nodes.TryGetValue(nodeId, out var node) ? node : null;

    /// <summary>Adds a node; its id must be new.</summary>
    public T Add<T>(T node)
        where T : UaNode
    {
        ArgumentNullException.ThrowIfNull(node);
        if (!_nodes.TryAdd(node.NodeId, node)) throw new InvalidOperationException($"node {node.NodeId} exists already");
        if (node is UaVariable { Historizing: true } variable) variable.History = History;
        return node;
    }

    /// <summary>Adds a reference and its inverse.</summary>
    public void AddReference(NodeId source, uint referenceType, NodeId target)
    {
        var type = NodeId.Of(referenceType);
        Find(source)?.AddReference(new UaReference(type, true, target));
        Find(target)?.AddReference(new UaReference(type, false, source));
    }

    /// <summary>Adds an Object of <paramref name="typeDefinition"/> (FolderType by default) under <paramref name="parent"/>.</summary>
    public UaNode AddObject(NodeId parent, NodeId nodeId, QualifiedName browseName, uint referenceType = ReferenceTypeIds.Organizes, uint typeDefinition = ObjectTypeIds.FolderType, LocalizedText description = default)
    {
        var node = Add(new UaNode(nodeId, NodeClass.Object, browseName, new LocalizedText(null, browseName.Name)) { Description = description });
        AddReference(parent, referenceType, nodeId);
        AddReference(nodeId, ReferenceTypeIds.HasTypeDefinition, NodeId.Of(typeDefinition));
        return node;
    }

    /// <summary>Adds a Variable under <paramref name="parent"/> (HasComponent, BaseDataVariableType unless told otherwise).</summary>
    public UaVariable AddVariable(NodeId parent, UaVariable variable, uint referenceType = ReferenceTypeIds.HasComponent, uint typeDefinition = VariableTypeIds.BaseDataVariableType)
    {
        ArgumentNullException.ThrowIfNull(variable);
        Add(variable);
        AddReference(parent, referenceType, variable.NodeId);
        AddReference(variable.NodeId, ReferenceTypeIds.HasTypeDefinition, NodeId.Of(typeDefinition));
        return variable;
    }

    /// <summary>Removes a node, its descendants through hierarchical references, and every reference to them.</summary>
    public void Remove(NodeId nodeId)
    {
        if (!_nodes.TryRemove(nodeId, out var node)) return;
        foreach (var reference in node.References)
        {
            if (reference.IsForward && IsHierarchical(reference.ReferenceTypeId) && reference.ReferenceTypeId.Numeric != ReferenceTypeIds.HasTypeDefinition)
            {
                Remove(reference.TargetId);
            }
            Find(reference.TargetId)?.RemoveReferencesTo(nodeId);
        }
    }

    /// <summary>Whether <paramref name="type"/> is <paramref name="baseType"/> or one of its subtypes.</summary>
    public bool IsSubtypeOf(NodeId type, NodeId baseType)
    {
        for (var current = type; current is not null;)
        {
            if (current == baseType) return true;
            current = Find(current)?.References.FirstOrDefault(r => !r.IsForward && r.ReferenceTypeId.Numeric == ReferenceTypeIds.HasSubtype && r.ReferenceTypeId.NamespaceIndex == 0)?.TargetId;
        }
        return false;
    }

    private bool IsHierarchical(NodeId referenceType) => IsSubtypeOf(referenceType, NodeId.Of(ReferenceTypeIds.HierarchicalReferences));
}
