using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Methods;
using ThermalPlant.OpcUa.Server.Sessions;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Services;

/// <summary>
/// The Method service set's Call (Part 4, 5.11.2). Each call's failure is the status of its result: an unknown
/// object is BadNodeIdUnknown, a method that is not a component of the object or of its type (or a supertype) is
/// BadMethodInvalid, too few or too many inputs BadArgumentsMissing or BadTooManyArguments, inputs of the wrong type
/// BadInvalidArgument with BadTypeMismatch for each of them, and a role without the method's permission
/// BadUserAccessDenied. The method runs only when every check passes, so a refused call changes nothing.
/// </summary>
internal sealed class MethodService(UaAddressSpace space, int maxMethodsPerCall)
{
    public CallResponse Call(CallRequest request, Session session)
    {
        var calls = request.MethodsToCall ?? [];
        if (calls.Length == 0) throw new OpcUaException(StatusCodes.BadNothingToDo, "no methods to call");
        if (calls.Length > maxMethodsPerCall) throw new OpcUaException(StatusCodes.BadTooManyOperations, $"at most {maxMethodsPerCall} methods per Call");
        var results = new CallMethodResult[calls.Length];
        for (var i = 0; i < calls.Length; i++) results[i] = CallOne(calls[i], session);
        return new CallResponse { Results = results, DiagnosticInfos = [] };
    }

    /// <summary>The permission <paramref name="method"/> needs (for the log of a refusal).</summary>
    public UserPermissions PermissionOf(NodeId method) => space.Find(method) is UaMethod found ? found.Permissions : UserPermissions.None;

    private CallMethodResult CallOne(CallMethodRequest request, Session session)
    {
        var identity = session.Identity;
        var target = space.Find(request.ObjectId);
        if (target is null) return Failed(StatusCodes.BadNodeIdUnknown);
        if (target.NodeClass is not (NodeClass.Object or NodeClass.ObjectType)) return Failed(StatusCodes.BadNodeIdInvalid);
        if (space.Find(request.MethodId) is not UaMethod method || !BelongsTo(method, target)) return Failed(StatusCodes.BadMethodInvalid);
        if (!method.Executable) return Failed(StatusCodes.BadNotExecutable);
        if (!method.UserExecutable(identity)) return Failed(StatusCodes.BadUserAccessDenied);
        var inputs = request.InputArguments ?? [];
        var declared = method.InputArguments;
        if (inputs.Length < declared.Length) return Failed(StatusCodes.BadArgumentsMissing);
        if (inputs.Length > declared.Length) return Failed(StatusCodes.BadTooManyArguments);
        var argumentResults = new StatusCode[inputs.Length];
        var mismatch = false;
        for (var i = 0; i < inputs.Length; i++)
        {
            if (Matches(inputs[i], declared[i])) continue;
            argumentResults[i] = StatusCodes.BadTypeMismatch;
            mismatch = true;
        }
        if (mismatch) return new CallMethodResult { StatusCode = StatusCodes.BadInvalidArgument, InputArgumentResults = argumentResults, InputArgumentDiagnosticInfos = [], OutputArguments = [] };

        var call = new MethodCall(request.ObjectId, request.MethodId, session, inputs);
        var outputs = new Variant[method.OutputArguments.Length];
        StatusCode status;
        try
        {
            status = method.Handler(call, outputs);
        }
        catch (OpcUaException ex)
        {
            status = ex.Status;
        }
        return new CallMethodResult
        {
            StatusCode = status,
            InputArgumentResults = call.ArgumentResults ?? [],
            InputArgumentDiagnosticInfos = [],
            OutputArguments = status.IsBad ? [] : outputs,
        };
    }

    /// <summary>
    /// Whether <paramref name="method"/> may be called on <paramref name="target"/>: a component of the node itself,
    /// or of an ObjectType that is the object's type or one of its supertypes (Part 4, 5.11.2: the MethodId may be
    /// the type's method, as clients call the condition methods).
    /// </summary>
    private bool BelongsTo(UaMethod method, UaNode target)
    {
        var hasComponent = NodeId.Of(ReferenceTypeIds.HasComponent);
        foreach (var reference in method.References)
        {
            if (reference.IsForward || reference.ReferenceTypeId != hasComponent) continue;
            if (reference.TargetId == target.NodeId) return true;
            if (target.TypeDefinition is { } type && space.Find(reference.TargetId) is { NodeClass: NodeClass.ObjectType } owner && space.IsSubtypeOf(type, owner.NodeId)) return true;
        }
        return false;
    }

    /// <summary>Whether <paramref name="value"/> fits <paramref name="argument"/>'s data type and value rank.</summary>
    private bool Matches(Variant value, Argument argument)
    {
        var dataType = argument.DataType;
        if (value.IsNull) return dataType.NamespaceIndex == 0 && dataType.Numeric is DataTypeIds.BaseDataType or DataTypeIds.String or DataTypeIds.ByteString or DataTypeIds.LocalizedText or DataTypeIds.NodeId or DataTypeIds.QualifiedName or DataTypeIds.XmlElement;
        var isArray = value.IsArray;
        if (argument.ValueRank == -1 && isArray) return false;
        if (argument.ValueRank >= 1 && !isArray) return false;
        if (dataType.NamespaceIndex != 0) return value.Type == BuiltInType.ExtensionObject;
        var id = dataType.Numeric;
        return id switch
        {
            DataTypeIds.BaseDataType => true,
            DataTypeIds.Number => value.Type is >= BuiltInType.SByte and <= BuiltInType.Double,
            DataTypeIds.Integer => value.Type is BuiltInType.SByte or BuiltInType.Int16 or BuiltInType.Int32 or BuiltInType.Int64,
            DataTypeIds.UInteger => value.Type is BuiltInType.Byte or BuiltInType.UInt16 or BuiltInType.UInt32 or BuiltInType.UInt64,
            DataTypeIds.UtcTime => value.Type == BuiltInType.DateTime,
            // The simple subtypes of Part 3, 8 travel as their base types.
            DataTypeIds.IntegerId or DataTypeIds.Counter or DataTypeIds.Index => value.Type == BuiltInType.UInt32,
            DataTypeIds.Duration => value.Type == BuiltInType.Double,
            DataTypeIds.LocaleId or DataTypeIds.NumericRange => value.Type == BuiltInType.String,
            <= 25 => (uint)value.Type == id,
            // Enumerations travel as Int32, structures as ExtensionObjects.
            _ when space.IsSubtypeOf(dataType, NodeId.Of(DataTypeIds.Enumeration)) => value.Type == BuiltInType.Int32,
            _ => value.Type == BuiltInType.ExtensionObject,
        };
    }

    private static CallMethodResult Failed(uint status) => new() { StatusCode = status, InputArgumentResults = [], InputArgumentDiagnosticInfos = [], OutputArguments = [] };
}
