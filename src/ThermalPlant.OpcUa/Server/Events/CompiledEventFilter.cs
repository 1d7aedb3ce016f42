using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Events;

/// <summary>
/// An EventFilter (Part 4, 7.22.3) checked once when a monitored item is created or modified, then applied to each
/// event: select clauses (SimpleAttributeOperands by type definition and browse path, and the ConditionId as the
/// empty path with the NodeId attribute) and a where clause of Equals, IsNull, GreaterThan, LessThan,
/// GreaterThanOrEqual, LessThanOrEqual, Not, Between, InList, And, Or and OfType, evaluated with the three-valued logic
/// of Part 4, 7.7.3 (a comparison with a missing field is NULL, which no event passes). A bad select clause returns
/// NULL for its field; a bad where clause refuses the filter. Immutable but for the last event's result, so one compiled
/// filter serves every monitored item with the same filter (<see cref="EventFilterCache"/>) from any thread.
/// </summary>
internal sealed class CompiledEventFilter
{
    /// <summary>Most select clauses, and most where clause elements, in one filter.</summary>
    public const int MaxClauses = 128;

    private static readonly NodeId BaseEventType = NodeId.Of(ObjectTypeIds.BaseEventType);

    private readonly EventTypes _types;
    private readonly Field?[] _select;
    private readonly Element[] _where;
    private volatile Applied? _last;

    private CompiledEventFilter(EventTypes types, Field?[] select, Element[] where)
    {
        _types = types;
        _select = select;
        _where = where;
    }

    /// <summary>
    /// Checks <paramref name="filter"/>: Good with the compiled filter, or BadEventFilterInvalid when the where clause
    /// has an error or no select clause is valid; <paramref name="result"/> says which clause failed and why (empty
    /// lists when everything is good).
    /// </summary>
    public static StatusCode TryCompile(EventFilter filter, EventTypes types, out CompiledEventFilter? compiled, out EventFilterResult result)
    {
        compiled = null;
        var clauses = filter.SelectClauses ?? [];
        var elements = filter.WhereClause?.Elements ?? [];
        result = new EventFilterResult { SelectClauseResults = [], SelectClauseDiagnosticInfos = [], WhereClauseResult = new ContentFilterResult { ElementResults = [], ElementDiagnosticInfos = [] } };
        if (clauses.Length == 0 || clauses.Length > MaxClauses || elements.Length > MaxClauses) return StatusCodes.BadEventFilterInvalid;

        var select = new Field?[clauses.Length];
        var selectResults = new StatusCode[clauses.Length];
        var anyValid = false;
        for (var i = 0; i < clauses.Length; i++)
        {
            selectResults[i] = Check(clauses[i], types, out select[i]);
            anyValid |= selectResults[i].IsGood;
        }
        if (selectResults.Any(s => s.IsBad)) result.SelectClauseResults = selectResults;

        var where = new Element[elements.Length];
        var elementResults = new ContentFilterElementResult[elements.Length];
        var whereValid = true;
        for (var i = 0; i < elements.Length; i++)
        {
            elementResults[i] = CheckElement(elements[i], i, elements.Length, types, out where[i]);
            whereValid &= elementResults[i].StatusCode.IsGood;
        }
        if (!whereValid) result.WhereClauseResult = new ContentFilterResult { ElementResults = elementResults, ElementDiagnosticInfos = [] };
        if (!whereValid || !anyValid) return StatusCodes.BadEventFilterInvalid;
        compiled = new CompiledEventFilter(types, select, where);
        return StatusCode.Good;
    }

    /// <summary>
    /// The selected fields of <paramref name="e"/> when it passes the where clause, else null; the items sharing this
    /// filter get the same result for the same raise of an event, computed once.
    /// </summary>
    public SelectedEvent? Apply(UaEvent e)
    {
        // The EventId array is new at each raise, so a condition's event delivered again is selected again.
        if (_last is { } last && ReferenceEquals(last.Event, e) && ReferenceEquals(last.EventId, e.EventId)) return last.Selected;
        var selected = Matches(e) ? new SelectedEvent(Select(e)) : null;
        _last = new Applied(e, e.EventId, selected);
        return selected;
    }

    /// <summary>Whether <paramref name="e"/> passes the where clause (an empty one passes every event).</summary>
    public bool Matches(UaEvent e) => _where.Length == 0 || Evaluate(0, e) == true;

    /// <summary>The selected fields of <paramref name="e"/>, in the order of the select clauses.</summary>
    public Variant[] Select(UaEvent e)
    {
        var fields = new Variant[_select.Length];
        for (var i = 0; i < fields.Length; i++)
        {
            if (_select[i] is { } field) fields[i] = Read(field, e);
        }
        return fields;
    }

    private Variant Read(Field field, UaEvent e)
    {
        if (!_types.IsSubtypeOf(e.EventType, field.Type)) return Variant.Null;
        if (field.IsConditionId) return e.ConditionId is { } id ? new Variant(BuiltInType.NodeId, id) : Variant.Null;
        return e.TryGetField(field.Path, out var value) ? value : Variant.Null;
    }

    private static StatusCode Check(SimpleAttributeOperand operand, EventTypes types, out Field? field)
    {
        field = null;
        var type = operand.TypeDefinitionId.IsNull ? BaseEventType : operand.TypeDefinitionId;
        if (!types.IsKnown(type)) return StatusCodes.BadTypeDefinitionInvalid;
        if (operand.IndexRange is { Length: > 0 }) return StatusCodes.BadIndexRangeInvalid;
        var path = operand.BrowsePath ?? [];
        switch ((AttributeId)operand.AttributeId)
        {
            case AttributeId.NodeId when path.Length == 0:
                // The ConditionId: the NodeId of the condition itself (Part 9, 5.5.2), NULL for events that are not conditions.
                field = new Field(type, string.Empty, true);
                return StatusCode.Good;
            case AttributeId.Value when path.Length > 0:
                var key = UaEvent.PathKey(path);
                if (!types.HasField(type, key)) return StatusCodes.BadNodeIdUnknown;
                field = new Field(type, key, false);
                return StatusCode.Good;
            default:
                return StatusCodes.BadAttributeIdInvalid;
        }
    }

    private static ContentFilterElementResult CheckElement(ContentFilterElement element, int index, int count, EventTypes types, out Element compiled)
    {
        var operands = element.FilterOperands ?? [];
        compiled = new Element(element.FilterOperator, new Operand[operands.Length]);
        var (min, max) = element.FilterOperator switch
        {
            FilterOperator.IsNull or FilterOperator.Not or FilterOperator.OfType => (1, 1),
            FilterOperator.Equals or FilterOperator.GreaterThan or FilterOperator.LessThan or FilterOperator.GreaterThanOrEqual
                or FilterOperator.LessThanOrEqual or FilterOperator.And or FilterOperator.Or => (2, 2),
            FilterOperator.Between => (3, 3),
            FilterOperator.InList => (2, MaxClauses),
            _ => (-1, -1),
        };
        if (min < 0)
        {
            var known = element.FilterOperator is >= FilterOperator.Equals and <= FilterOperator.BitwiseOr;
            return new ContentFilterElementResult { StatusCode = known ? StatusCodes.BadFilterOperatorUnsupported : StatusCodes.BadFilterOperatorInvalid, OperandStatusCodes = [], OperandDiagnosticInfos = [] };
        }
        if (operands.Length < min || operands.Length > max)
        {
            return new ContentFilterElementResult { StatusCode = StatusCodes.BadFilterOperandCountMismatch, OperandStatusCodes = [], OperandDiagnosticInfos = [] };
        }
        var results = new StatusCode[operands.Length];
        var valid = true;
        for (var i = 0; i < operands.Length; i++)
        {
            results[i] = CheckOperand(operands[i], index, count, types, out compiled.Operands[i]);
            if (results[i].IsGood && element.FilterOperator == FilterOperator.OfType
                && (compiled.Operands[i] is not Literal { Value: { Type: BuiltInType.NodeId, Value: NodeId type } } || !types.IsKnown(type)))
            {
                results[i] = StatusCodes.BadFilterOperandInvalid;
            }
            valid &= results[i].IsGood;
        }
        return valid
            ? new ContentFilterElementResult { StatusCode = StatusCode.Good, OperandStatusCodes = [], OperandDiagnosticInfos = [] }
            : new ContentFilterElementResult { StatusCode = StatusCodes.BadFilterOperandInvalid, OperandStatusCodes = results, OperandDiagnosticInfos = [] };
    }

    private static StatusCode CheckOperand(ExtensionObject operand, int index, int count, EventTypes types, out Operand compiled)
    {
        compiled = new Literal(Variant.Null);
        IEncodeable? decoded;
        try
        {
            decoded = operand.Decode();
        }
        catch (OpcUaException)
        {
            return StatusCodes.BadFilterOperandInvalid;
        }
        switch (decoded)
        {
            case LiteralOperand literal:
                compiled = new Literal(literal.Value);
                return StatusCode.Good;
            case ElementOperand element:
                // Only later elements may be referenced, so that evaluation always ends (Part 4, 7.7.4.2).
                if (element.Index <= index || element.Index >= count) return StatusCodes.BadFilterOperandInvalid;
                compiled = new ElementRef((int)element.Index);
                return StatusCode.Good;
            case SimpleAttributeOperand attribute:
                if (Check(attribute, types, out var field).IsBad) return StatusCodes.BadFilterOperandInvalid;
                compiled = new FieldRef(field!);
                return StatusCode.Good;
            default:
                // AttributeOperands name nodes through relative paths, which events here do not have.
                return StatusCodes.BadFilterOperandInvalid;
        }
    }

    private bool? Evaluate(int index, UaEvent e)
    {
        var element = _where[index];
        var operands = element.Operands;
        switch (element.Operator)
        {
            case FilterOperator.And:
            {
                var a = AsBoolean(operands[0], e);
                if (a == false) return false;
                var b = AsBoolean(operands[1], e);
                return b == false ? false : a is null || b is null ? null : true;
            }
            case FilterOperator.Or:
            {
                var a = AsBoolean(operands[0], e);
                if (a == true) return true;
                var b = AsBoolean(operands[1], e);
                return b == true ? true : a is null || b is null ? null : false;
            }
            case FilterOperator.Not:
                return !AsBoolean(operands[0], e);
            case FilterOperator.OfType:
                return _types.IsSubtypeOf(e.EventType, (NodeId)((Literal)operands[0]).Value.Value!);
            case FilterOperator.IsNull:
                return Value(operands[0], e).IsNull;
            case FilterOperator.Equals:
                return AreEqual(Value(operands[0], e), Value(operands[1], e));
            case FilterOperator.GreaterThan:
                return Compare(Value(operands[0], e), Value(operands[1], e)) is { } gt ? gt > 0 : null;
            case FilterOperator.LessThan:
                return Compare(Value(operands[0], e), Value(operands[1], e)) is { } lt ? lt < 0 : null;
            case FilterOperator.GreaterThanOrEqual:
                return Compare(Value(operands[0], e), Value(operands[1], e)) is { } ge ? ge >= 0 : null;
            case FilterOperator.LessThanOrEqual:
                return Compare(Value(operands[0], e), Value(operands[1], e)) is { } le ? le <= 0 : null;
            case FilterOperator.Between:
            {
                var value = Value(operands[0], e);
                if (Compare(value, Value(operands[1], e)) is not { } low || Compare(value, Value(operands[2], e)) is not { } high) return null;
                return low >= 0 && high <= 0;
            }
            case FilterOperator.InList:
            {
                var value = Value(operands[0], e);
                bool? found = false;
                for (var i = 1; i < operands.Length; i++)
                {
                    var equal = AreEqual(value, Value(operands[i], e));
                    if (equal == true) return true;
                    if (equal is null) found = null;
                }
                return found;
            }
            default:
                return null;
        }
    }

    private bool? AsBoolean(Operand operand, UaEvent e) => operand is ElementRef element
        ? Evaluate(element.Index, e)
        : Value(operand, e).TryGetBoolean(out var value) ? value : null;

    private Variant Value(Operand operand, UaEvent e) => operand switch
    {
        Literal literal => literal.Value,
        FieldRef field => Read(field.Field, e),
        ElementRef element => Evaluate(element.Index, e) is { } value ? Variant.From(value) : Variant.Null,
        _ => Variant.Null,
    };

    /// <summary>Equality with the implicit conversions events need: numbers by value, text against LocalizedText, byte strings by content.</summary>
    internal static bool? AreEqual(Variant a, Variant b)
    {
        if (a.IsNull || b.IsNull) return null;
        if (Compare(a, b) is { } order) return order == 0;
        if (a.Value is byte[] x && b.Value is byte[] y) return x.AsSpan().SequenceEqual(y);
        if (a.Value is StatusCode s && b.Value is StatusCode t) return s.Code == t.Code;
        return a.Type == b.Type && Equals(a.Value, b.Value);
    }

    /// <summary>The order of two comparable scalars (numbers, times, text, Booleans); null when they do not compare.</summary>
    internal static int? Compare(Variant a, Variant b)
    {
        if (a.IsNull || b.IsNull || a.IsArray || b.IsArray) return null;
        if (a.TryGetNumber(out var x) && b.TryGetNumber(out var y)) return x.CompareTo(y);
        if (a.Type == BuiltInType.DateTime && b.Type == BuiltInType.DateTime) return a.AsDateTime().CompareTo(b.AsDateTime());
        if (a.TryGetBoolean(out var p) && b.TryGetBoolean(out var q)) return p.CompareTo(q);
        if (Text(a) is { } s && Text(b) is { } t) return string.CompareOrdinal(s, t);
        return null;
    }

    private static string? Text(Variant value) => value.Value switch
    {
        string s => s,
        LocalizedText text => text.Text ?? string.Empty,
        _ => null,
    };

    private sealed record Applied(UaEvent Event, byte[] EventId, SelectedEvent? Selected);

    private sealed record Field(NodeId Type, string Path, bool IsConditionId);

    private abstract record Operand;

    private sealed record Literal(Variant Value) : Operand;

    private sealed record ElementRef(int Index) : Operand;

    private sealed record FieldRef(Field Field) : Operand;

    private sealed record Element(FilterOperator Operator, Operand[] Operands);
}
