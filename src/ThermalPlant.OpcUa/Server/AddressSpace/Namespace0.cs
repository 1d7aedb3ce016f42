using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.AddressSpace;

/// <summary>
/// The part of namespace 0 a client needs to browse a server: the root folders, the reference type hierarchy,
/// the built-in data types, and the base object and variable types (the Server object is
/// <see cref="ServerObject"/>'s). Ids and names come from the generated specification data.
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
        (DataTypeIds.ServerStatusDataType, nameof(DataTypeIds.ServerStatusDataType), DataTypeIds.Structure, false),
        (DataTypeIds.BuildInfo, nameof(DataTypeIds.BuildInfo), DataTypeIds.Structure, false),
    ];

    private static readonly (uint Id, string Name, uint Parent, NodeClass Class, bool Abstract)[] Types =
    [
        (ObjectTypeIds.BaseObjectType, nameof(ObjectTypeIds.BaseObjectType), 0, NodeClass.ObjectType, false),
        (ObjectTypeIds.FolderType, nameof(ObjectTypeIds.FolderType), ObjectTypeIds.BaseObjectType, NodeClass.ObjectType, false),
        (ObjectTypeIds.ServerType, nameof(ObjectTypeIds.ServerType), ObjectTypeIds.BaseObjectType, NodeClass.ObjectType, false),
        (ObjectTypeIds.ServerCapabilitiesType, nameof(ObjectTypeIds.ServerCapabilitiesType), ObjectTypeIds.BaseObjectType, NodeClass.ObjectType, false),
        (ObjectTypeIds.OperationLimitsType, nameof(ObjectTypeIds.OperationLimitsType), ObjectTypeIds.FolderType, NodeClass.ObjectType, false),
        (VariableTypeIds.BaseVariableType, nameof(VariableTypeIds.BaseVariableType), 0, NodeClass.VariableType, true),
        (VariableTypeIds.BaseDataVariableType, nameof(VariableTypeIds.BaseDataVariableType), VariableTypeIds.BaseVariableType, NodeClass.VariableType, false),
        (VariableTypeIds.PropertyType, nameof(VariableTypeIds.PropertyType), VariableTypeIds.BaseVariableType, NodeClass.VariableType, false),
        (VariableTypeIds.DataItemType, nameof(VariableTypeIds.DataItemType), VariableTypeIds.BaseDataVariableType, NodeClass.VariableType, false),
        (VariableTypeIds.AnalogItemType, nameof(VariableTypeIds.AnalogItemType), VariableTypeIds.DataItemType, NodeClass.VariableType, false),
        (VariableTypeIds.ServerStatusType, nameof(VariableTypeIds.ServerStatusType), VariableTypeIds.BaseDataVariableType, NodeClass.VariableType, false),
        (VariableTypeIds.BuildInfoType, nameof(VariableTypeIds.BuildInfoType), VariableTypeIds.BaseDataVariableType, NodeClass.VariableType, false),
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
    }

    private static void AddType(UaAddressSpace space, uint id, string name, uint parent, NodeClass nodeClass, bool isAbstract)
    {
        space.Add(new UaNode(NodeId.Of(id), nodeClass, new QualifiedName(0, name), name) { IsAbstract = isAbstract });
        if (parent != 0) space.AddReference(NodeId.Of(parent), ReferenceTypeIds.HasSubtype, NodeId.Of(id));
    }
}
