using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.AddressSpace;

/// <summary>
/// The part of namespace 0 a client needs to browse and read a server: the root folders, the reference type
/// hierarchy, the built-in data types, the base object and variable types, and the Server object with its
/// status, namespace array and server array. Ids and names come from the generated specification data.
/// </summary>
internal static class Namespace0
{
    private static readonly (uint Id, string Name, uint Parent, bool Abstract)[] ReferenceTypes =
    [
        (ReferenceTypeIds.References, nameof(ReferenceTypeIds.References), 0, true),
        (ReferenceTypeIds.HierarchicalReferences, nameof(ReferenceTypeIds.HierarchicalReferences), ReferenceTypeIds.References, true),
        (ReferenceTypeIds.NonHierarchicalReferences, nameof(ReferenceTypeIds.NonHierarchicalReferences), ReferenceTypeIds.References, true),
        (ReferenceTypeIds.HasChild, nameof(ReferenceTypeIds.HasChild), ReferenceTypeIds.HierarchicalReferences, true),
        (ReferenceTypeIds.Organizes, nameof(ReferenceTypeIds.Organizes), ReferenceTypeIds.HierarchicalReferences, false),
        (ReferenceTypeIds.HasEventSource, nameof(ReferenceTypeIds.HasEventSource), ReferenceTypeIds.HierarchicalReferences, false),
        (ReferenceTypeIds.HasNotifier, nameof(ReferenceTypeIds.HasNotifier), ReferenceTypeIds.HasEventSource, false),
        (ReferenceTypeIds.Aggregates, nameof(ReferenceTypeIds.Aggregates), ReferenceTypeIds.HasChild, true),
        (ReferenceTypeIds.HasSubtype, nameof(ReferenceTypeIds.HasSubtype), ReferenceTypeIds.HasChild, false),
        (ReferenceTypeIds.HasComponent, nameof(ReferenceTypeIds.HasComponent), ReferenceTypeIds.Aggregates, false),
        (ReferenceTypeIds.HasProperty, nameof(ReferenceTypeIds.HasProperty), ReferenceTypeIds.Aggregates, false),
        (ReferenceTypeIds.HasOrderedComponent, nameof(ReferenceTypeIds.HasOrderedComponent), ReferenceTypeIds.HasComponent, false),
        (ReferenceTypeIds.HasTypeDefinition, nameof(ReferenceTypeIds.HasTypeDefinition), ReferenceTypeIds.NonHierarchicalReferences, false),
        (ReferenceTypeIds.HasModellingRule, nameof(ReferenceTypeIds.HasModellingRule), ReferenceTypeIds.NonHierarchicalReferences, false),
        (ReferenceTypeIds.HasEncoding, nameof(ReferenceTypeIds.HasEncoding), ReferenceTypeIds.NonHierarchicalReferences, false),
    ];

    private static readonly (uint Id, string Name, uint Parent, bool Abstract)[] DataTypes =
    [
        (DataTypeIds.BaseDataType, nameof(DataTypeIds.BaseDataType), 0, true),
        (DataTypeIds.Number, nameof(DataTypeIds.Number), DataTypeIds.BaseDataType, true),
        (DataTypeIds.Integer, nameof(DataTypeIds.Integer), DataTypeIds.Number, true),
        (DataTypeIds.UInteger, nameof(DataTypeIds.UInteger), DataTypeIds.Number, true),
        (DataTypeIds.Boolean, nameof(DataTypeIds.Boolean), DataTypeIds.BaseDataType, false),
        (DataTypeIds.SByte, nameof(DataTypeIds.SByte), DataTypeIds.Integer, false),
        (DataTypeIds.Byte, nameof(DataTypeIds.Byte), DataTypeIds.UInteger, false),
        (DataTypeIds.Int16, nameof(DataTypeIds.Int16), DataTypeIds.Integer, false),
        (DataTypeIds.UInt16, nameof(DataTypeIds.UInt16), DataTypeIds.UInteger, false),
        (DataTypeIds.Int32, nameof(DataTypeIds.Int32), DataTypeIds.Integer, false),
        (DataTypeIds.UInt32, nameof(DataTypeIds.UInt32), DataTypeIds.UInteger, false),
        (DataTypeIds.Int64, nameof(DataTypeIds.Int64), DataTypeIds.Integer, false),
        (DataTypeIds.UInt64, nameof(DataTypeIds.UInt64), DataTypeIds.UInteger, false),
        (DataTypeIds.Float, nameof(DataTypeIds.Float), DataTypeIds.Number, false),
        (DataTypeIds.Double, nameof(DataTypeIds.Double), DataTypeIds.Number, false),
        (DataTypeIds.String, nameof(DataTypeIds.String), DataTypeIds.BaseDataType, false),
        (DataTypeIds.DateTime, nameof(DataTypeIds.DateTime), DataTypeIds.BaseDataType, false),
        (DataTypeIds.UtcTime, nameof(DataTypeIds.UtcTime), DataTypeIds.DateTime, false),
        (DataTypeIds.Guid, nameof(DataTypeIds.Guid), DataTypeIds.BaseDataType, false),
        (DataTypeIds.ByteString, nameof(DataTypeIds.ByteString), DataTypeIds.BaseDataType, false),
        (DataTypeIds.NodeId, nameof(DataTypeIds.NodeId), DataTypeIds.BaseDataType, false),
        (DataTypeIds.StatusCode, nameof(DataTypeIds.StatusCode), DataTypeIds.BaseDataType, false),
        (DataTypeIds.QualifiedName, nameof(DataTypeIds.QualifiedName), DataTypeIds.BaseDataType, false),
        (DataTypeIds.LocalizedText, nameof(DataTypeIds.LocalizedText), DataTypeIds.BaseDataType, false),
        (DataTypeIds.Structure, nameof(DataTypeIds.Structure), DataTypeIds.BaseDataType, true),
        (DataTypeIds.Enumeration, nameof(DataTypeIds.Enumeration), DataTypeIds.BaseDataType, true),
        (DataTypeIds.Range, nameof(DataTypeIds.Range), DataTypeIds.Structure, false),
        (DataTypeIds.EUInformation, nameof(DataTypeIds.EUInformation), DataTypeIds.Structure, false),
        (DataTypeIds.ServerState, nameof(DataTypeIds.ServerState), DataTypeIds.Enumeration, false),
    ];

    private static readonly (uint Id, string Name, uint Parent, NodeClass Class, bool Abstract)[] Types =
    [
        (ObjectTypeIds.BaseObjectType, nameof(ObjectTypeIds.BaseObjectType), 0, NodeClass.ObjectType, false),
        (ObjectTypeIds.FolderType, nameof(ObjectTypeIds.FolderType), ObjectTypeIds.BaseObjectType, NodeClass.ObjectType, false),
        (ObjectTypeIds.ServerType, nameof(ObjectTypeIds.ServerType), ObjectTypeIds.BaseObjectType, NodeClass.ObjectType, false),
        (VariableTypeIds.BaseVariableType, nameof(VariableTypeIds.BaseVariableType), 0, NodeClass.VariableType, true),
        (VariableTypeIds.BaseDataVariableType, nameof(VariableTypeIds.BaseDataVariableType), VariableTypeIds.BaseVariableType, NodeClass.VariableType, false),
        (VariableTypeIds.PropertyType, nameof(VariableTypeIds.PropertyType), VariableTypeIds.BaseVariableType, NodeClass.VariableType, false),
        (VariableTypeIds.DataItemType, nameof(VariableTypeIds.DataItemType), VariableTypeIds.BaseDataVariableType, NodeClass.VariableType, false),
        (VariableTypeIds.AnalogItemType, nameof(VariableTypeIds.AnalogItemType), VariableTypeIds.DataItemType, NodeClass.VariableType, false),
        (VariableTypeIds.ServerStatusType, nameof(VariableTypeIds.ServerStatusType), VariableTypeIds.BaseDataVariableType, NodeClass.VariableType, false),
    ];

    public static void Populate(UaAddressSpace space)
    {
        foreach (var (id, name, parent, isAbstract) in ReferenceTypes) AddType(space, id, name, parent, NodeClass.ReferenceType, isAbstract);
        foreach (var (id, name, parent, isAbstract) in DataTypes) AddType(space, id, name, parent, NodeClass.DataType, isAbstract);
        foreach (var (id, name, parent, nodeClass, isAbstract) in Types) AddType(space, id, name, parent, nodeClass, isAbstract);

        space.Add(new UaNode(NodeId.Of(ObjectIds.RootFolder), NodeClass.Object, new QualifiedName(0, "Root"), "Root"));
        space.AddReference(NodeId.Of(ObjectIds.RootFolder), ReferenceTypeIds.HasTypeDefinition, NodeId.Of(ObjectTypeIds.FolderType));
        space.AddObject(NodeId.Of(ObjectIds.RootFolder), NodeId.Of(ObjectIds.ObjectsFolder), new QualifiedName(0, "Objects"));
        space.AddObject(NodeId.Of(ObjectIds.RootFolder), NodeId.Of(ObjectIds.TypesFolder), new QualifiedName(0, "Types"));
        space.AddObject(NodeId.Of(ObjectIds.RootFolder), NodeId.Of(ObjectIds.ViewsFolder), new QualifiedName(0, "Views"));
        space.AddObject(NodeId.Of(ObjectIds.TypesFolder), NodeId.Of(ObjectIds.ObjectTypesFolder), new QualifiedName(0, "ObjectTypes"));
        space.AddObject(NodeId.Of(ObjectIds.TypesFolder), NodeId.Of(ObjectIds.VariableTypesFolder), new QualifiedName(0, "VariableTypes"));
        space.AddObject(NodeId.Of(ObjectIds.TypesFolder), NodeId.Of(ObjectIds.DataTypesFolder), new QualifiedName(0, "DataTypes"));
        space.AddObject(NodeId.Of(ObjectIds.TypesFolder), NodeId.Of(ObjectIds.ReferenceTypesFolder), new QualifiedName(0, "ReferenceTypes"));
        space.AddReference(NodeId.Of(ObjectIds.ObjectTypesFolder), ReferenceTypeIds.Organizes, NodeId.Of(ObjectTypeIds.BaseObjectType));
        space.AddReference(NodeId.Of(ObjectIds.VariableTypesFolder), ReferenceTypeIds.Organizes, NodeId.Of(VariableTypeIds.BaseVariableType));
        space.AddReference(NodeId.Of(ObjectIds.DataTypesFolder), ReferenceTypeIds.Organizes, NodeId.Of(DataTypeIds.BaseDataType));
        space.AddReference(NodeId.Of(ObjectIds.ReferenceTypesFolder), ReferenceTypeIds.Organizes, NodeId.Of(ReferenceTypeIds.References));

        var server = NodeId.Of(ObjectIds.Server);
        space.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), server, new QualifiedName(0, "Server"), ReferenceTypeIds.Organizes, ObjectTypeIds.ServerType);
        var started = DateTime.UtcNow;
        space.AddVariable(server, new UaVariable(NodeId.Of(VariableIds.Server_NamespaceArray), new QualifiedName(0, "NamespaceArray"), "NamespaceArray", NodeId.Of(DataTypeIds.String))
        {
            ValueRank = 1,
            ValueSource = () => new DataValue { Value = new Variant(BuiltInType.String, space.Namespaces.ToArray()), SourceTimestamp = started, ServerTimestamp = DateTime.UtcNow },
        }, ReferenceTypeIds.HasProperty, VariableTypeIds.PropertyType);
        space.AddVariable(server, new UaVariable(NodeId.Of(VariableIds.Server_ServerArray), new QualifiedName(0, "ServerArray"), "ServerArray", NodeId.Of(DataTypeIds.String))
        {
            ValueRank = 1,
            ValueSource = () => new DataValue { Value = new Variant(BuiltInType.String, new[] { space.Namespaces[1] }), SourceTimestamp = started, ServerTimestamp = DateTime.UtcNow },
        }, ReferenceTypeIds.HasProperty, VariableTypeIds.PropertyType);
        var status = NodeId.Of(VariableIds.Server_ServerStatus);
        space.AddVariable(server, new UaVariable(status, new QualifiedName(0, "ServerStatus"), "ServerStatus", NodeId.Of(DataTypeIds.ServerStatusDataType)), ReferenceTypeIds.HasComponent, VariableTypeIds.ServerStatusType);
        space.AddVariable(status, new UaVariable(NodeId.Of(VariableIds.Server_ServerStatus_StartTime), new QualifiedName(0, "StartTime"), "StartTime", NodeId.Of(DataTypeIds.UtcTime))
        {
            ValueSource = () => new DataValue { Value = Variant.From(started), SourceTimestamp = started, ServerTimestamp = DateTime.UtcNow },
        });
        space.AddVariable(status, new UaVariable(NodeId.Of(VariableIds.Server_ServerStatus_CurrentTime), new QualifiedName(0, "CurrentTime"), "CurrentTime", NodeId.Of(DataTypeIds.UtcTime))
        {
            ValueSource = () => new DataValue { Value = Variant.From(DateTime.UtcNow), SourceTimestamp = DateTime.UtcNow, ServerTimestamp = DateTime.UtcNow },
        });
        space.AddVariable(status, new UaVariable(NodeId.Of(VariableIds.Server_ServerStatus_State), new QualifiedName(0, "State"), "State", NodeId.Of(DataTypeIds.ServerState))
        {
            ValueSource = () => new DataValue { Value = Variant.From((int)ServerState.Running), SourceTimestamp = started, ServerTimestamp = DateTime.UtcNow },
        });
    }

    private static void AddType(UaAddressSpace space, uint id, string name, uint parent, NodeClass nodeClass, bool isAbstract)
    {
        space.Add(new UaNode(NodeId.Of(id), nodeClass, new QualifiedName(0, name), name) { IsAbstract = isAbstract });
        if (parent != 0) space.AddReference(NodeId.Of(parent), ReferenceTypeIds.HasSubtype, NodeId.Of(id));
    }
}
