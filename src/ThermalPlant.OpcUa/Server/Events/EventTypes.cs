using System.Reflection;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Events;

/// <summary>
/// The event types the server knows (Part 5, 6.4; Part 9, 5): each type's supertype and the browse paths of the fields
/// it declares, so that filters are checked against them and an event's type is matched against OfType and select
/// clauses without walking the address space. The standard types are added with their ObjectType nodes and field
/// declarations under their namespace 0 ids; a host adds its own with <see cref="Add"/>.
/// </summary>
public sealed class EventTypes
{
    private static readonly (string Path, uint DataType)[] BaseEventFields =
    [
        ("EventId", DataTypeIds.ByteString), ("EventType", DataTypeIds.NodeId), ("SourceNode", DataTypeIds.NodeId), ("SourceName", DataTypeIds.String),
        ("Time", DataTypeIds.UtcTime), ("ReceiveTime", DataTypeIds.UtcTime), ("LocalTime", DataTypeIds.TimeZoneDataType), ("Message", DataTypeIds.LocalizedText),
        ("Severity", DataTypeIds.UInt16), ("ConditionClassId", DataTypeIds.NodeId), ("ConditionClassName", DataTypeIds.LocalizedText),
    ];

    private static readonly (string Path, uint DataType)[] ConditionFields =
    [
        ("ConditionName", DataTypeIds.String), ("BranchId", DataTypeIds.NodeId), ("Retain", DataTypeIds.Boolean),
        .. TwoState("EnabledState"),
        ("Quality", DataTypeIds.StatusCode), ("Quality/SourceTimestamp", DataTypeIds.UtcTime),
        ("LastSeverity", DataTypeIds.UInt16), ("LastSeverity/SourceTimestamp", DataTypeIds.UtcTime),
        ("Comment", DataTypeIds.LocalizedText), ("Comment/SourceTimestamp", DataTypeIds.UtcTime), ("ClientUserId", DataTypeIds.String),
    ];

    // Copied on write: events read these on every delivery without a lock, and types are added rarely.
    private readonly Lock _lock = new();
    private volatile Dictionary<NodeId, NodeId?> _parents = [];
    private volatile Dictionary<NodeId, HashSet<string>> _fields = [];
    private int _version;
    private readonly UaAddressSpace _space;

    internal EventTypes(UaAddressSpace space)
    {
        _space = space;
        // Conditions hang off their sources by HasCondition (Part 9, 7.2), which clients browse.
        var hasCondition = NodeId.Of(ReferenceTypeIds.HasCondition);
        if (space.Find(hasCondition) is null)
        {
            space.Add(new UaNode(hasCondition, NodeClass.ReferenceType, new QualifiedName(0, nameof(ReferenceTypeIds.HasCondition)), nameof(ReferenceTypeIds.HasCondition)));
            space.AddReference(NodeId.Of(ReferenceTypeIds.NonHierarchicalReferences), ReferenceTypeIds.HasSubtype, hasCondition);
        }
        AddStandard(ObjectTypeIds.BaseEventType, null, BaseEventFields);
        AddStandard(ObjectTypeIds.SystemEventType, ObjectTypeIds.BaseEventType, []);
        AddStandard(ObjectTypeIds.DeviceFailureEventType, ObjectTypeIds.SystemEventType, []);
        AddStandard(ObjectTypeIds.SystemStatusChangeEventType, ObjectTypeIds.SystemEventType, [("SystemState", DataTypeIds.ServerState)]);
        AddStandard(ObjectTypeIds.RefreshStartEventType, ObjectTypeIds.SystemEventType, []);
        AddStandard(ObjectTypeIds.RefreshEndEventType, ObjectTypeIds.SystemEventType, []);
        AddStandard(ObjectTypeIds.RefreshRequiredEventType, ObjectTypeIds.SystemEventType, []);
        AddStandard(ObjectTypeIds.EventQueueOverflowEventType, ObjectTypeIds.BaseEventType, [], isAbstract: true);
        AddStandard(ObjectTypeIds.ConditionType, ObjectTypeIds.BaseEventType, ConditionFields, isAbstract: true);
        AddStandard(ObjectTypeIds.AcknowledgeableConditionType, ObjectTypeIds.ConditionType, [.. TwoState("AckedState"), .. TwoState("ConfirmedState")]);
        AddStandard(ObjectTypeIds.AlarmConditionType, ObjectTypeIds.AcknowledgeableConditionType, [.. TwoState("ActiveState"), ("InputNode", DataTypeIds.NodeId), ("SuppressedOrShelved", DataTypeIds.Boolean)]);
        AddStandard(ObjectTypeIds.LimitAlarmType, ObjectTypeIds.AlarmConditionType, [("HighHighLimit", DataTypeIds.Double), ("HighLimit", DataTypeIds.Double), ("LowLimit", DataTypeIds.Double), ("LowLowLimit", DataTypeIds.Double)]);
        AddStandard(ObjectTypeIds.ExclusiveLimitAlarmType, ObjectTypeIds.LimitAlarmType,
        [
            ("LimitState/CurrentState", DataTypeIds.LocalizedText), ("LimitState/CurrentState/Id", DataTypeIds.NodeId),
            ("LimitState/LastTransition", DataTypeIds.LocalizedText), ("LimitState/LastTransition/Id", DataTypeIds.NodeId), ("LimitState/LastTransition/TransitionTime", DataTypeIds.UtcTime),
        ]);
        AddStandard(ObjectTypeIds.DiscreteAlarmType, ObjectTypeIds.AlarmConditionType, []);
        AddStandard(ObjectTypeIds.OffNormalAlarmType, ObjectTypeIds.DiscreteAlarmType, [("NormalState", DataTypeIds.NodeId)]);
    }

    /// <summary>
    /// Registers an event type of the host's (its ObjectType node must exist or be added by the host) as a subtype of
    /// <paramref name="parent"/>, declaring the browse paths of its own fields.
    /// </summary>
    public void Add(NodeId type, NodeId parent, params string[] fieldPaths)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(fieldPaths);
        lock (_lock)
        {
            if (!_parents.ContainsKey(parent)) throw new ArgumentException($"{parent} is not a known event type", nameof(parent));
            _fields = new Dictionary<NodeId, HashSet<string>>(_fields) { [type] = [.. fieldPaths] };
            _parents = new Dictionary<NodeId, NodeId?>(_parents) { [type] = parent };
            Interlocked.Increment(ref _version);
        }
    }

    /// <summary>Changes with every type added, so that filters compiled before are compiled again.</summary>
    internal int Version => Volatile.Read(ref _version);

    /// <summary>Whether <paramref name="type"/> is a known event type.</summary>
    public bool IsKnown(NodeId type) => _parents.ContainsKey(type);

    /// <summary>Whether <paramref name="type"/> is <paramref name="baseType"/> or one of its subtypes.</summary>
    public bool IsSubtypeOf(NodeId type, NodeId baseType) => IsSubtypeOf(_parents, type, baseType);

    /// <summary>
    /// Whether events of <paramref name="type"/> can have the field <paramref name="path"/>: the type, a supertype or a
    /// subtype declares it. Subtypes count because Part 4 (7.22.4) has a path given with BaseEventType evaluated
    /// without considering the type, as node-opcua's clients send every field.
    /// </summary>
    public bool HasField(NodeId type, string path)
    {
        var parents = _parents;
        var declared = _fields;
        for (NodeId? current = type; current is not null; current = parents.GetValueOrDefault(current))
        {
            if (declared.TryGetValue(current, out var fields) && fields.Contains(path)) return true;
        }
        foreach (var (declaring, fields) in declared)
        {
            if (fields.Contains(path) && IsSubtypeOf(parents, declaring, type)) return true;
        }
        return false;
    }

    private static bool IsSubtypeOf(Dictionary<NodeId, NodeId?> parents, NodeId type, NodeId baseType)
    {
        for (NodeId? current = type; current is not null; current = parents.GetValueOrDefault(current))
        {
            if (current == baseType) return true;
        }
        return false;
    }

    private static (string, uint)[] TwoState(string name) =>
    [
        (name, DataTypeIds.LocalizedText), ($"{name}/Id", DataTypeIds.Boolean), ($"{name}/TransitionTime", DataTypeIds.UtcTime),
        ($"{name}/TrueState", DataTypeIds.LocalizedText), ($"{name}/FalseState", DataTypeIds.LocalizedText),
    ];

    private void AddStandard(uint id, uint? parent, (string Path, uint DataType)[] fields, bool isAbstract = false)
    {
        var typeId = NodeId.Of(id);
        _parents[typeId] = parent is { } p ? NodeId.Of(p) : null;
        _fields[typeId] = [.. fields.Select(f => f.Path)];
        var name = TypeName(id);
        if (_space.Find(typeId) is null)
        {
            _space.Add(new UaNode(typeId, NodeClass.ObjectType, new QualifiedName(0, name), name) { IsAbstract = isAbstract });
            _space.AddReference(NodeId.Of(parent ?? ObjectTypeIds.BaseObjectType), ReferenceTypeIds.HasSubtype, typeId);
        }
        foreach (var (path, dataType) in fields)
        {
            // A declaration is added only under its namespace 0 id, so that clients browsing the type see the standard nodes.
            var field = typeof(VariableIds).GetField($"{name}_{path.Replace('/', '_')}", BindingFlags.Public | BindingFlags.Static);
            if (field?.GetValue(null) is not uint fieldId || _space.Find(NodeId.Of(fieldId)) is not null) continue;
            var slash = path.LastIndexOf('/');
            var parentNode = slash < 0 ? typeId : typeof(VariableIds).GetField($"{name}_{path[..slash].Replace('/', '_')}")?.GetValue(null) is uint parentId ? NodeId.Of(parentId) : null;
            if (parentNode is null || _space.Find(parentNode) is null) continue;
            var browseName = path[(slash + 1)..];
            var isProperty = slash >= 0 || dataType != DataTypeIds.LocalizedText || !path.EndsWith("State", StringComparison.Ordinal);
            _space.AddVariable(parentNode, new UaVariable(NodeId.Of(fieldId), new QualifiedName(0, browseName), browseName, NodeId.Of(dataType)),
                isProperty ? ReferenceTypeIds.HasProperty : ReferenceTypeIds.HasComponent,
                isProperty ? VariableTypeIds.PropertyType : VariableTypeIds.TwoStateVariableType);
        }
    }

    private static string TypeName(uint id) =>
        typeof(ObjectTypeIds).GetFields(BindingFlags.Public | BindingFlags.Static).First(f => f.GetValue(null) is uint value && value == id).Name;
}
