using System.Text;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Client;

/// <summary>
/// A server refused an event filter (BadEventFilterInvalid and the like) and said which clauses failed and why: the
/// <see cref="FilterResult"/> a HistoryRead of events or a monitored item's creation answered with.
/// </summary>
public sealed class EventFilterRefusedException : OpcUaException
{
    /// <summary>Creates the exception for <paramref name="status"/>, naming each refused clause of <paramref name="filterResult"/> in its message.</summary>
    public EventFilterRefusedException(StatusCode status, string message, EventFilterResult filterResult)
        : base(status, message + Describe(filterResult))
    {
        ArgumentNullException.ThrowIfNull(filterResult);
        FilterResult = filterResult;
    }

    /// <summary>The server's verdict per select clause and per where-clause element.</summary>
    public EventFilterResult FilterResult { get; }

    /// <summary>The refused clauses as text (<c>: select 1: BadNodeIdUnknown where element 0: BadFilterOperandInvalid</c>); empty when none is refused.</summary>
    public static string Describe(EventFilterResult? filterResult)
    {
        if (filterResult is null) return string.Empty;
        var text = new StringBuilder();
        var select = filterResult.SelectClauseResults ?? [];
        for (var i = 0; i < select.Length; i++)
        {
            if (select[i].IsBad) text.Append(System.Globalization.CultureInfo.InvariantCulture, $" select {i}: {select[i]}");
        }
        var where = filterResult.WhereClauseResult.ElementResults ?? [];
        for (var i = 0; i < where.Length; i++)
        {
            if (where[i].StatusCode.IsBad) text.Append(System.Globalization.CultureInfo.InvariantCulture, $" where element {i}: {where[i].StatusCode}");
        }
        return text.Length == 0 ? string.Empty : ":" + text;
    }
}
