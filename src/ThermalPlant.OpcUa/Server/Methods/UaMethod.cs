using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Sessions;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Methods;

/// <summary>
/// Runs a method for one call. Inputs have been checked against <see cref="UaMethod.InputArguments"/> (count and
/// type) and the caller's role against <see cref="UaMethod.Permissions"/>; the handler returns the call's status
/// (a thrown <see cref="OpcUaException"/> is its status too) and fills the outputs.
/// </summary>
/// <param name="call">The object, the method, the caller and the checked inputs.</param>
/// <param name="outputs">One slot per output argument, Null until set.</param>
public delegate StatusCode MethodHandler(MethodCall call, Variant[] outputs);

/// <summary>A Method node (Part 3, 5.7) with its arguments, the permission a caller needs, and what it does.</summary>
public sealed class UaMethod : UaNode
{
    /// <summary>Creates a method.</summary>
    public UaMethod(NodeId nodeId, QualifiedName browseName, LocalizedText displayName, MethodHandler handler)
        : base(nodeId, NodeClass.Method, browseName, displayName)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Handler = handler;
    }

    /// <summary>What the method does.</summary>
    public MethodHandler Handler { get; }

    /// <summary>The input arguments, in order (the InputArguments property).</summary>
    public Argument[] InputArguments { get; init; } = [];

    /// <summary>The output arguments, in order (the OutputArguments property).</summary>
    public Argument[] OutputArguments { get; init; } = [];

    /// <summary>What a caller's role must grant; Write by default, since most methods change something.</summary>
    public UserPermissions Permissions { get; init; } = UserPermissions.Write;

    /// <summary>The Executable attribute.</summary>
    public bool Executable { get; init; } = true;

    /// <summary>The UserExecutable attribute for <paramref name="identity"/>.</summary>
    public bool UserExecutable(UserIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return Executable && identity.May(Permissions);
    }

    /// <summary>An input or output argument description.</summary>
    public static Argument Argument(string name, uint dataType, string description, int valueRank = -1) => new()
    {
        Name = name,
        DataType = NodeId.Of(dataType),
        ValueRank = valueRank,
        ArrayDimensions = [],
        Description = new LocalizedText(null, description),
    };
}

/// <summary>One call of a method: on which object, by whom, with which inputs.</summary>
public sealed class MethodCall
{
    internal MethodCall(NodeId objectId, NodeId methodId, Session session, Variant[] inputs)
    {
        Session = session;
        var identity = session.Identity;
        ObjectId = objectId;
        MethodId = methodId;
        Identity = identity;
        Inputs = inputs;
    }

    /// <summary>The object the method is called on.</summary>
    public NodeId ObjectId { get; }

    /// <summary>The method called.</summary>
    public NodeId MethodId { get; }

    /// <summary>The caller.</summary>
    public UserIdentity Identity { get; }

    /// <summary>The input arguments, checked against the method's declaration.</summary>
    public Variant[] Inputs { get; }

    /// <summary>The caller's session (ConditionRefresh names one of its subscriptions).</summary>
    internal Session Session { get; }

    /// <summary>Per-input results when an input's value was refused; null while every input is accepted.</summary>
    internal StatusCode[]? ArgumentResults { get; private set; }

    /// <summary>
    /// Refuses the value of input <paramref name="index"/> with <paramref name="status"/> (its InputArgumentResult);
    /// returns BadInvalidArgument, the call's status (Part 4, 5.11.2).
    /// </summary>
    public StatusCode RejectArgument(int index, StatusCode status)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Inputs.Length);
        ArgumentResults ??= new StatusCode[Inputs.Length];
        ArgumentResults[index] = status;
        return StatusCodes.BadInvalidArgument;
    }
}
