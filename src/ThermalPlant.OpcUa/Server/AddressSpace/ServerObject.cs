using System.Reflection;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.AddressSpace;

/// <summary>
/// The Server object clients read right after connecting (Part 5, 6.3.1): ServerStatus with State, CurrentTime,
/// StartTime, BuildInfo and SecondsTillShutdown, NamespaceArray, ServerArray, and ServerCapabilities'
/// OperationLimits, by which clients batch their requests.
/// </summary>
internal static class ServerObject
{
    public static void Populate(UaAddressSpace space, OpcUaServerOptions options, TimeProvider time)
    {
        var started = time.GetUtcNow().UtcDateTime;
        var version = typeof(ServerObject).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
        var buildInfo = new BuildInfo { ProductUri = options.ProductUri, ManufacturerName = "Thermal Plant Monitoring Suite", ProductName = options.ApplicationName, SoftwareVersion = version, BuildNumber = version, BuildDate = started };
        DataValue Now(Variant value) => new() { Value = value, SourceTimestamp = time.GetUtcNow().UtcDateTime, ServerTimestamp = time.GetUtcNow().UtcDateTime };

        var server = NodeId.Of(ObjectIds.Server);
        space.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), server, new QualifiedName(0, "Server"), ReferenceTypeIds.Organizes, ObjectTypeIds.ServerType);
        Property(space, server, VariableIds.Server_NamespaceArray, "NamespaceArray", DataTypeIds.String, () => Now(new Variant(BuiltInType.String, space.Namespaces.ToArray())), 1);
        Property(space, server, VariableIds.Server_ServerArray, "ServerArray", DataTypeIds.String, () => Now(new Variant(BuiltInType.String, new[] { options.ApplicationUri })), 1);

        var status = NodeId.Of(VariableIds.Server_ServerStatus);
        space.AddVariable(server, new UaVariable(status, new QualifiedName(0, "ServerStatus"), "ServerStatus", NodeId.Of(DataTypeIds.ServerStatusDataType))
        {
            ValueSource = () => Now(Structure(new ServerStatusDataType { StartTime = started, CurrentTime = time.GetUtcNow().UtcDateTime, State = ServerState.Running, BuildInfo = buildInfo })),
        }, ReferenceTypeIds.HasComponent, VariableTypeIds.ServerStatusType);
        Component(space, status, VariableIds.Server_ServerStatus_StartTime, "StartTime", DataTypeIds.UtcTime, () => Now(Variant.From(started)));
        Component(space, status, VariableIds.Server_ServerStatus_CurrentTime, "CurrentTime", DataTypeIds.UtcTime, () => Now(Variant.From(time.GetUtcNow().UtcDateTime)));
        Component(space, status, VariableIds.Server_ServerStatus_State, "State", DataTypeIds.ServerState, () => Now(Variant.From((int)ServerState.Running)));
        Component(space, status, VariableIds.Server_ServerStatus_SecondsTillShutdown, "SecondsTillShutdown", DataTypeIds.UInt32, () => Now(Variant.From(0u)));
        var build = NodeId.Of(VariableIds.Server_ServerStatus_BuildInfo);
        space.AddVariable(status, new UaVariable(build, new QualifiedName(0, "BuildInfo"), "BuildInfo", NodeId.Of(DataTypeIds.BuildInfo)) { ValueSource = () => Now(Structure(buildInfo)) }, ReferenceTypeIds.HasComponent, VariableTypeIds.BuildInfoType);
        Component(space, build, VariableIds.Server_ServerStatus_BuildInfo_ProductUri, "ProductUri", DataTypeIds.String, () => Now(Variant.From(buildInfo.ProductUri)));
        Component(space, build, VariableIds.Server_ServerStatus_BuildInfo_ManufacturerName, "ManufacturerName", DataTypeIds.String, () => Now(Variant.From(buildInfo.ManufacturerName)));
        Component(space, build, VariableIds.Server_ServerStatus_BuildInfo_ProductName, "ProductName", DataTypeIds.String, () => Now(Variant.From(buildInfo.ProductName)));
        Component(space, build, VariableIds.Server_ServerStatus_BuildInfo_SoftwareVersion, "SoftwareVersion", DataTypeIds.String, () => Now(Variant.From(buildInfo.SoftwareVersion)));
        Component(space, build, VariableIds.Server_ServerStatus_BuildInfo_BuildNumber, "BuildNumber", DataTypeIds.String, () => Now(Variant.From(buildInfo.BuildNumber)));
        Component(space, build, VariableIds.Server_ServerStatus_BuildInfo_BuildDate, "BuildDate", DataTypeIds.UtcTime, () => Now(Variant.From(buildInfo.BuildDate)));

        var capabilities = NodeId.Of(ObjectIds.Server_ServerCapabilities);
        space.AddObject(server, capabilities, new QualifiedName(0, "ServerCapabilities"), ReferenceTypeIds.HasComponent, ObjectTypeIds.ServerCapabilitiesType);
        // Continuation points are counted per session and per service set, so the history limit is the option itself.
        var historyContinuationPoints = (ushort)Math.Min(options.MaxContinuationPoints, ushort.MaxValue);
        Property(space, capabilities, VariableIds.Server_ServerCapabilities_MaxHistoryContinuationPoints, "MaxHistoryContinuationPoints", DataTypeIds.UInt16, () => Now(new Variant(BuiltInType.UInt16, historyContinuationPoints)));
        var limits = NodeId.Of(ObjectIds.Server_ServerCapabilities_OperationLimits);
        space.AddObject(capabilities, limits, new QualifiedName(0, "OperationLimits"), ReferenceTypeIds.HasComponent, ObjectTypeIds.OperationLimitsType);
        var max = (uint)options.MaxNodesPerOperation;
        Property(space, limits, VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead, "MaxNodesPerRead", DataTypeIds.UInt32, () => Now(Variant.From(max)));
        Property(space, limits, VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerWrite, "MaxNodesPerWrite", DataTypeIds.UInt32, () => Now(Variant.From(max)));
        Property(space, limits, VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerBrowse, "MaxNodesPerBrowse", DataTypeIds.UInt32, () => Now(Variant.From(max)));
        Property(space, limits, VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRegisterNodes, "MaxNodesPerRegisterNodes", DataTypeIds.UInt32, () => Now(Variant.From(max)));
        Property(space, limits, VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerHistoryReadData, "MaxNodesPerHistoryReadData", DataTypeIds.UInt32, () => Now(Variant.From(max)));
        Property(space, limits, VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerHistoryReadEvents, "MaxNodesPerHistoryReadEvents", DataTypeIds.UInt32, () => Now(Variant.From(max)));
        Property(space, limits, VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerMethodCall, "MaxNodesPerMethodCall", DataTypeIds.UInt32, () => Now(Variant.From(max)));
        Property(space, limits, VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerTranslateBrowsePathsToNodeIds, "MaxNodesPerTranslateBrowsePathsToNodeIds", DataTypeIds.UInt32, () => Now(Variant.From(max)));
        // The service checks the smaller of the two per-call limits (RequestLimits, SubscriptionService).
        var itemsPerCall = (uint)Math.Min(options.MaxMonitoredItemsPerCall, options.MaxNodesPerOperation);
        Property(space, limits, VariableIds.Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall, "MaxMonitoredItemsPerCall", DataTypeIds.UInt32, () => Now(Variant.From(itemsPerCall)));

        // The capabilities by which a client can size its requests and subscriptions (Part 5, 6.3.2; 1.05 adds the
        // session and subscription counts). The array and string lengths are those the decoder accepts in a request.
        var browseContinuationPoints = (ushort)Math.Min(options.MaxContinuationPoints, ushort.MaxValue);
        Property(space, capabilities, VariableIds.Server_ServerCapabilities_MaxBrowseContinuationPoints, "MaxBrowseContinuationPoints", DataTypeIds.UInt16, () => Now(new Variant(BuiltInType.UInt16, browseContinuationPoints)));
        var decoding = EncodingLimits.Default;
        UInt32Property(space, capabilities, VariableIds.Server_ServerCapabilities_MaxArrayLength, "MaxArrayLength", decoding.MaxArrayLength, Now);
        UInt32Property(space, capabilities, VariableIds.Server_ServerCapabilities_MaxStringLength, "MaxStringLength", decoding.MaxStringLength, Now);
        UInt32Property(space, capabilities, VariableIds.Server_ServerCapabilities_MaxByteStringLength, "MaxByteStringLength", decoding.MaxByteStringLength, Now);
        UInt32Property(space, capabilities, VariableIds.Server_ServerCapabilities_MaxSessions, "MaxSessions", options.MaxSessions, Now);
        UInt32Property(space, capabilities, VariableIds.Server_ServerCapabilities_MaxSubscriptions, "MaxSubscriptions", options.MaxSubscriptions, Now);
        UInt32Property(space, capabilities, VariableIds.Server_ServerCapabilities_MaxMonitoredItems, "MaxMonitoredItems", options.MaxMonitoredItems, Now);
        UInt32Property(space, capabilities, VariableIds.Server_ServerCapabilities_MaxSubscriptionsPerSession, "MaxSubscriptionsPerSession", options.MaxSubscriptionsPerSession, Now);
        UInt32Property(space, capabilities, VariableIds.Server_ServerCapabilities_MaxMonitoredItemsPerSubscription, "MaxMonitoredItemsPerSubscription", options.MaxMonitoredItemsPerSubscription, Now);
        UInt32Property(space, capabilities, VariableIds.Server_ServerCapabilities_MaxMonitoredItemsQueueSize, "MaxMonitoredItemsQueueSize", options.MaxQueueSize, Now);
    }

    private static void UInt32Property(UaAddressSpace space, NodeId parent, uint id, string name, long value, Func<Variant, DataValue> now)
    {
        var limit = (uint)Math.Clamp(value, 0, uint.MaxValue);
        Property(space, parent, id, name, DataTypeIds.UInt32, () => now(Variant.From(limit)));
    }

    private static void Component(UaAddressSpace space, NodeId parent, uint id, string name, uint dataType, Func<DataValue> source) =>
        space.AddVariable(parent, new UaVariable(NodeId.Of(id), new QualifiedName(0, name), name, NodeId.Of(dataType)) { ValueSource = source });

    private static void Property(UaAddressSpace space, NodeId parent, uint id, string name, uint dataType, Func<DataValue> source, int valueRank = -1) =>
        space.AddVariable(parent, new UaVariable(NodeId.Of(id), new QualifiedName(0, name), name, NodeId.Of(dataType)) { ValueSource = source, ValueRank = valueRank }, ReferenceTypeIds.HasProperty, VariableTypeIds.PropertyType);

    private static Variant Structure(IEncodeable value)
    {
        using var encoder = new BinaryEncoder();
        value.Encode(encoder);
        return new Variant(BuiltInType.ExtensionObject, new ExtensionObject(NodeId.Of(value.EncodingId), ExtensionObjectEncoding.Binary, encoder.Written.ToArray()));
    }
}
