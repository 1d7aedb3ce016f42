using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Client;

/// <summary>Builds EventFilters the way UaExpert sends them: fields by type definition and browse path.</summary>
public static class EventFilters
{
    /// <summary>The fields UaExpert's event view selects, in this order.</summary>
    public static readonly string[] StandardFields = ["EventId", "EventType", "SourceNode", "SourceName", "Time", "ReceiveTime", "Message", "Severity"];

    /// <summary>The field at <paramref name="path"/> ("AckedState/Id") of events of <paramref name="typeDefinition"/> (BaseEventType by default).</summary>
    public static SimpleAttributeOperand Field(string path, uint typeDefinition = ObjectTypeIds.BaseEventType)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new SimpleAttributeOperand
        {
            TypeDefinitionId = NodeId.Of(typeDefinition),
            BrowsePath = [.. path.Split('/').Select(name => new QualifiedName(0, name))],
            AttributeId = (uint)AttributeId.Value,
        };
    }

    /// <summary>The ConditionId: the condition's own NodeId (ConditionType, empty path, NodeId attribute).</summary>
    public static SimpleAttributeOperand ConditionId() => new()
    {
        TypeDefinitionId = NodeId.Of(ObjectTypeIds.ConditionType),
        BrowsePath = [],
        AttributeId = (uint)AttributeId.NodeId,
    };

    /// <summary>A filter selecting <paramref name="fields"/> with an optional where clause.</summary>
    public static EventFilter Select(IEnumerable<SimpleAttributeOperand> fields, ContentFilter? where = null) => new()
    {
        SelectClauses = [.. fields],
        WhereClause = where ?? new ContentFilter { Elements = [] },
    };

    /// <summary>A where clause element.</summary>
    public static ContentFilterElement Element(FilterOperator op, params FilterOperandBody[] operands) => new()
    {
        FilterOperator = op,
        FilterOperands = [.. operands.Select(o => o.Body)],
    };

    /// <summary>A literal operand.</summary>
    public static FilterOperandBody Literal(Variant value) => new(ExtensionObject.From(new LiteralOperand { Value = value }));

    /// <summary>An operand naming another element of the where clause (a later one).</summary>
    public static FilterOperandBody ElementAt(uint index) => new(ExtensionObject.From(new ElementOperand { Index = index }));

    /// <summary>An operand reading an event field.</summary>
    public static FilterOperandBody Operand(SimpleAttributeOperand field) => new(ExtensionObject.From(field));
}

/// <summary>A filter operand encoded for a ContentFilterElement.</summary>
/// <param name="Body">The operand as an ExtensionObject.</param>
public sealed record FilterOperandBody(ExtensionObject Body);
