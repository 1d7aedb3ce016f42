using System.Globalization;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Methods;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Services;

/// <summary>
/// The Attribute service set's Read (Part 4, 5.10.2): each operation's failure is a status in its result. The
/// Value of a variable needs CurrentRead in the session user's UserAccessLevel (BadUserAccessDenied otherwise), and
/// UserAccessLevel is the AccessLevel reduced by the user's role (<see cref="UserAccess"/>).
/// </summary>
internal sealed class AttributeService(UaAddressSpace space, int maxNodesPerRead, TimeProvider time)
{
    /// <summary>Reads the request's attributes for <paramref name="identity"/>; a missing server timestamp is <paramref name="now"/>, the request's clock reading.</summary>
    public ReadResponse Read(ReadRequest request, UserIdentity identity, DateTime now)
    {
        var nodes = request.NodesToRead ?? [];
        if (nodes.Length == 0) throw new OpcUaException(StatusCodes.BadNothingToDo, "no nodes to read");
        if (nodes.Length > maxNodesPerRead) throw new OpcUaException(StatusCodes.BadTooManyOperations, $"at most {maxNodesPerRead} nodes per Read");
        if (request.MaxAge < 0) throw new OpcUaException(StatusCodes.BadMaxAgeInvalid, "MaxAge is negative");
        if (request.TimestampsToReturn is < TimestampsToReturn.Source or > TimestampsToReturn.Neither) throw new OpcUaException(StatusCodes.BadTimestampsToReturnInvalid, "TimestampsToReturn is invalid");
        // Every value of a response carries the same server timestamp.
        var results = new DataValue[nodes.Length];
        for (var i = 0; i < nodes.Length; i++)
        {
            results[i] = ReadOne(nodes[i], request.TimestampsToReturn, identity, now);
        }
        return new ReadResponse { Results = results };
    }

    /// <summary>Reads one attribute for <paramref name="identity"/>; failures are the status of the result.</summary>
    public DataValue ReadOne(ReadValueId item, TimestampsToReturn timestamps, UserIdentity identity) => ReadOne(item, timestamps, identity, time.GetUtcNow().UtcDateTime);

    /// <summary>Reads one attribute for <paramref name="identity"/>, a missing server timestamp being <paramref name="now"/>.</summary>
    private DataValue ReadOne(ReadValueId item, TimestampsToReturn timestamps, UserIdentity identity, DateTime now)
    {
        var node = space.Find(item.NodeId);
        if (node is null) return Bad(StatusCodes.BadNodeIdUnknown);
        if (item.DataEncoding.Name is { Length: > 0 } encoding && encoding != "Default Binary") return Bad(StatusCodes.BadDataEncodingUnsupported);
        var variable = node as UaVariable;
        var attribute = (AttributeId)item.AttributeId;
        if (attribute == AttributeId.Value)
        {
            if (variable is null) return Bad(StatusCodes.BadAttributeIdInvalid);
            if (UserAccess.Check(variable.AccessLevel, identity, UserAccess.CurrentRead, StatusCodes.BadNotReadable) is { IsBad: true } refused) return Bad(refused.Code);
            var value = variable.Value;
            if (item.IndexRange is { Length: > 0 } range)
            {
                var sliced = Slice(value.Value, range);
                if (sliced.Status.Code != 0) return Bad(sliced.Status.Code);
                value = value with { Value = sliced.Value };
            }
            return TimestampFilter.Apply(value, timestamps, now);
        }
        if (item.IndexRange is { Length: > 0 }) return Bad(StatusCodes.BadIndexRangeNoData);
        var result = attribute switch
        {
            AttributeId.NodeId => new Variant(BuiltInType.NodeId, node.NodeId),
            AttributeId.NodeClass => Variant.From((int)node.NodeClass),
            AttributeId.BrowseName => new Variant(BuiltInType.QualifiedName, node.BrowseName),
            AttributeId.DisplayName => new Variant(BuiltInType.LocalizedText, node.DisplayName),
            AttributeId.Description => new Variant(BuiltInType.LocalizedText, node.Description),
            AttributeId.WriteMask or AttributeId.UserWriteMask => Variant.From(0u),
            AttributeId.IsAbstract when node.NodeClass is NodeClass.ObjectType or NodeClass.VariableType or NodeClass.ReferenceType or NodeClass.DataType => Variant.From(node.IsAbstract),
            AttributeId.Symmetric when node.NodeClass == NodeClass.ReferenceType => Variant.From(false),
            AttributeId.EventNotifier when node.NodeClass == NodeClass.Object => Variant.From(node.EventNotifier),
            AttributeId.Executable when node is UaMethod method => Variant.From(method.Executable),
            AttributeId.UserExecutable when node is UaMethod method => Variant.From(method.UserExecutable(identity)),
            AttributeId.DataType when variable is not null => new Variant(BuiltInType.NodeId, variable.DataType),
            AttributeId.ValueRank when variable is not null => Variant.From(variable.ValueRank),
            AttributeId.ArrayDimensions when variable is not null => variable.ArrayDimensions is { } dims ? new Variant(BuiltInType.UInt32, dims) : Variant.Null,
            AttributeId.AccessLevel when variable is not null => Variant.From(variable.AccessLevel),
            AttributeId.UserAccessLevel when variable is not null => Variant.From(UserAccess.Level(variable.AccessLevel, identity)),
            AttributeId.MinimumSamplingInterval when variable is not null => Variant.From(variable.MinimumSamplingInterval),
            AttributeId.Historizing when variable is not null => Variant.From(variable.Historizing),
            _ => Variant.Null,
        };
        return result.Type == BuiltInType.Null ? Bad(StatusCodes.BadAttributeIdInvalid) : new DataValue { Value = result };
    }

    /// <summary>A one-dimensional index range "i" or "i:j" (Part 4, 7.27) applied to an array value.</summary>
    private static (Variant Value, StatusCode Status) Slice(Variant value, string range)
    {
        var parts = range.Split(':');
        if (parts.Length > 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first)) return (Variant.Null, StatusCodes.BadIndexRangeInvalid);
        var last = first;
        if (parts.Length == 2 && (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out last) || last <= first)) return (Variant.Null, StatusCodes.BadIndexRangeInvalid);
        if (value.Value is not Array array || value.Dimensions is not null) return (Variant.Null, StatusCodes.BadIndexRangeNoData);
        if (first >= array.Length) return (Variant.Null, StatusCodes.BadIndexRangeNoData);
        last = Math.Min(last, array.Length - 1);
        var slice = Array.CreateInstance(array.GetType().GetElementType()!, last - first + 1);
        Array.Copy(array, first, slice, 0, slice.Length);
        return (new Variant(value.Type, slice), StatusCode.Good);
    }

    private static DataValue Bad(uint status) => new() { Status = status };
}
