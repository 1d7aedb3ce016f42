using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Methods;

/// <summary>Adds methods to an address space with their InputArguments and OutputArguments properties.</summary>
public static class MethodNodes
{
    /// <summary>
    /// Adds <paramref name="method"/> as a component of <paramref name="parent"/> (an Object or ObjectType), with an
    /// InputArguments and an OutputArguments property when it has arguments. The properties' ids are given, or made
    /// from a string method id (<c>id.InputArguments</c>).
    /// </summary>
    public static UaMethod AddMethod(this UaAddressSpace space, NodeId parent, UaMethod method, NodeId? inputArgumentsId = null, NodeId? outputArgumentsId = null)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(method);
        space.Add(method);
        space.AddReference(parent, ReferenceTypeIds.HasComponent, method.NodeId);
        if (method.InputArguments.Length > 0) AddArguments(space, method, "InputArguments", method.InputArguments, inputArgumentsId);
        if (method.OutputArguments.Length > 0) AddArguments(space, method, "OutputArguments", method.OutputArguments, outputArgumentsId);
        return method;
    }

    private static void AddArguments(UaAddressSpace space, UaMethod method, string name, Argument[] arguments, NodeId? id)
    {
        id ??= method.NodeId.Text is { } text
            ? NodeId.Of($"{text}.{name}", method.NodeId.NamespaceIndex)
            : throw new ArgumentException($"method {method.NodeId} has a numeric id: give the id of its {name}", nameof(method));
        var values = new ExtensionObject[arguments.Length];
        for (var i = 0; i < values.Length; i++) values[i] = ExtensionObject.From(arguments[i]);
        var property = new UaVariable(id, new QualifiedName(0, name), name, NodeId.Of(DataTypeIds.Argument)) { ValueRank = 1, ArrayDimensions = [(uint)values.Length] };
        property.SetValue(new DataValue { Value = new Variant(BuiltInType.ExtensionObject, values) });
        space.AddVariable(method.NodeId, property, ReferenceTypeIds.HasProperty, VariableTypeIds.PropertyType);
    }
}
