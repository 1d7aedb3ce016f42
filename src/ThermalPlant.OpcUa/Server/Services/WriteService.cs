using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Services;

/// <summary>
/// The Attribute service set's Write (Part 4, 5.10.4): only the Value of a variable with CurrentWrite access, of
/// the variable's built-in data type, by a session whose role may write (BadUserAccessDenied otherwise, after the
/// variable's own access level, so a read-only variable says BadNotWritable to everyone); the host's
/// <see cref="UaVariable.WriteHandler"/> has the last word.
/// </summary>
internal sealed class WriteService(UaAddressSpace space, int maxNodesPerWrite, TimeProvider time)
{
    public WriteResponse Write(WriteRequest request, UserIdentity identity)
    {
        var nodes = request.NodesToWrite ?? [];
        if (nodes.Length == 0) throw new OpcUaException(StatusCodes.BadNothingToDo, "no nodes to write");
        if (nodes.Length > maxNodesPerWrite) throw new OpcUaException(StatusCodes.BadTooManyOperations, $"at most {maxNodesPerWrite} nodes per Write");
        var results = new StatusCode[nodes.Length];
        for (var i = 0; i < nodes.Length; i++)
        {
            results[i] = WriteOne(nodes[i], identity);
        }
        return new WriteResponse { Results = results };
    }

    /// <summary>
    /// Whether the write reaches code that may block: a variable's write handler (the host's), or its history store (a
    /// file whose compaction holds its lock, or a database); then it runs off the connection's read loop.
    /// </summary>
    public bool MayBlock(WriteRequest request)
    {
        foreach (var item in request.NodesToWrite ?? [])
        {
            if (space.Find(item.NodeId) is UaVariable { WriteHandler: not null } or UaVariable { History: not null }) return true;
        }
        return false;
    }

    private StatusCode WriteOne(WriteValue item, UserIdentity identity)
    {
        var node = space.Find(item.NodeId);
        if (node is null) return StatusCodes.BadNodeIdUnknown;
        if ((AttributeId)item.AttributeId != AttributeId.Value) return node is UaVariable || Enum.IsDefined((AttributeId)item.AttributeId) ? StatusCodes.BadNotWritable : StatusCodes.BadAttributeIdInvalid;
        if (node is not UaVariable variable) return StatusCodes.BadAttributeIdInvalid;
        if (UserAccess.Check(variable.AccessLevel, identity, UserAccess.CurrentWrite, StatusCodes.BadNotWritable) is { IsBad: true } refused) return refused;
        if (item.IndexRange is { Length: > 0 }) return StatusCodes.BadWriteNotSupported;
        if (!Matches(variable, item.Value.Value)) return StatusCodes.BadTypeMismatch;
        var value = item.Value with { ServerTimestamp = time.GetUtcNow().UtcDateTime, SourceTimestamp = item.Value.SourceTimestamp ?? time.GetUtcNow().UtcDateTime };
        var decision = variable.WriteHandler?.Invoke(value) ?? StatusCode.Good;
        if (decision.IsBad) return decision;
        variable.SetValue(value);
        return StatusCode.Good;
    }

    // The built-in data types' node ids (i=1..25) are the Variant type ids; others accept any type.
    private static bool Matches(UaVariable variable, Variant value)
    {
        if (value.Type == BuiltInType.Null) return false;
        var dataType = variable.DataType;
        if (dataType.NamespaceIndex != 0 || dataType.Numeric is 0 or > 25) return true;
        return (uint)value.Type == dataType.Numeric && value.IsArray == (variable.ValueRank >= 1);
    }
}
