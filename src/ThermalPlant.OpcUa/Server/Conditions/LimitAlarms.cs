using System.Globalization;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.Events;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Conditions;

/// <summary>The limits of an exclusive limit alarm, each optional, in the value's units.</summary>
public sealed record LimitAlarmSettings
{
    /// <summary>At or above: HighHigh.</summary>
    public double? HighHigh { get; init; }

    /// <summary>At or above: High.</summary>
    public double? High { get; init; }

    /// <summary>At or below: Low.</summary>
    public double? Low { get; init; }

    /// <summary>At or below: LowLow.</summary>
    public double? LowLow { get; init; }

    /// <summary>How far back past a limit a value must go before the alarm leaves that limit's state (hysteresis).</summary>
    public double Deadband { get; init; }

    /// <summary>Severity in the High and Low states.</summary>
    public ushort Severity { get; init; } = 500;

    /// <summary>Severity in the HighHigh and LowLow states.</summary>
    public ushort SevereSeverity { get; init; } = 800;

    /// <summary>Problems with the settings: limits out of order, a negative deadband, severities outside 1 to 1000.</summary>
    public IEnumerable<string> Validate()
    {
        double?[] ordered = [LowLow, Low, High, HighHigh];
        var present = ordered.Where(l => l is not null).Select(l => l!.Value).ToArray();
        if (present.Any(l => !double.IsFinite(l))) yield return "limits must be finite";
        for (var i = 1; i < present.Length; i++)
        {
            if (present[i] <= present[i - 1]) yield return "limits must rise from LowLow through Low and High to HighHigh";
        }
        if (present.Length == 0) yield return "at least one limit is needed";
        if (!double.IsFinite(Deadband) || Deadband < 0) yield return "the deadband must be zero or positive";
        if (Severity is < 1 or > 1000 || SevereSeverity is < 1 or > 1000) yield return "severities are 1 to 1000";
    }
}

/// <summary>
/// An ExclusiveLimitAlarmType alarm (Part 9, 5.8.19): one of HighHigh, High, Low or LowLow at a time, from the values
/// a host feeds it (<see cref="Evaluate"/>). A state is left only when the value is back past its limit by the deadband.
/// </summary>
public sealed class ExclusiveLimitAlarm : AlarmCondition
{
    internal ExclusiveLimitAlarm(ConditionManager manager, NodeId nodeId, NodeId source, string sourceName, string name, LimitAlarmSettings limits, DateTime now)
        : base(manager, nodeId, NodeId.Of(ObjectTypeIds.ExclusiveLimitAlarmType), source, sourceName, name, now)
    {
        Limits = limits;
    }

    /// <summary>The limits.</summary>
    public LimitAlarmSettings Limits { get; }

    /// <summary>Takes a new value: the alarm changes state when the value crosses a limit (or comes back past it by the deadband).</summary>
    public void Evaluate(double value)
    {
        if (!double.IsFinite(value)) return;
        var current = State.LimitState;
        var next = Level(value);
        if (next != current && current is not null && Holds(current, next, value)) next = current;
        if (next == current) return;
        var text = value.ToString("G6", CultureInfo.InvariantCulture);
        if (next is null)
        {
            Set(false, new LocalizedText("en", $"{SourceName} back within limits at {text}"), State.Severity, null);
            return;
        }
        var limit = Limit(next)!.Value.ToString("G6", CultureInfo.InvariantCulture);
        var severe = next is "HighHigh" or "LowLow";
        var side = next.StartsWith("High", StringComparison.Ordinal) ? "above" : "below";
        Set(true, new LocalizedText("en", $"{SourceName} {text} {side} its {next} limit {limit}"), severe ? Limits.SevereSeverity : Limits.Severity, next);
    }

    private protected override void AddFields(UaEvent e, ConditionState state)
    {
        if (Limits.HighHigh is { } hh) e.Set("HighHighLimit", Variant.From(hh));
        if (Limits.High is { } h) e.Set("HighLimit", Variant.From(h));
        if (Limits.Low is { } l) e.Set("LowLimit", Variant.From(l));
        if (Limits.LowLow is { } ll) e.Set("LowLowLimit", Variant.From(ll));
        if (state.LimitState is { } limitState)
        {
            var fields = LimitStateFields.Of(limitState);
            e.Set("LimitState/CurrentState", fields.Text).Set("LimitState/CurrentState/Id", fields.Id);
        }
    }

    /// <summary>The state a value is in without hysteresis.</summary>
    private string? Level(double value) => value switch
    {
        _ when value >= Limits.HighHigh => "HighHigh",
        _ when value >= Limits.High => "High",
        _ when value <= Limits.LowLow => "LowLow",
        _ when value <= Limits.Low => "Low",
        _ => null,
    };

    /// <summary>Whether the alarm stays in <paramref name="current"/> rather than easing to <paramref name="next"/>: only a worse state is entered at once.</summary>
    private bool Holds(string current, string? next, double value)
    {
        var high = current.StartsWith("High", StringComparison.Ordinal);
        if (next is not null && Rank(next) > Rank(current) && next.StartsWith("High", StringComparison.Ordinal) == high) return false;
        var limit = Limit(current)!.Value;
        return high ? value > limit - Limits.Deadband : value < limit + Limits.Deadband;
    }

    private static int Rank(string state) => state is "HighHigh" or "LowLow" ? 2 : 1;

    private double? Limit(string state) => state switch
    {
        "HighHigh" => Limits.HighHigh,
        "High" => Limits.High,
        "Low" => Limits.Low,
        _ => Limits.LowLow,
    };

    /// <summary>A limit state's CurrentState and its Id as event fields, built once per state rather than for every event.</summary>
    private sealed record LimitStateFields(Variant Text, Variant Id)
    {
        private static readonly LimitStateFields HighHigh = Of("HighHigh", ObjectIds.ExclusiveLimitStateMachineType_HighHigh);
        private static readonly LimitStateFields High = Of("High", ObjectIds.ExclusiveLimitStateMachineType_High);
        private static readonly LimitStateFields Low = Of("Low", ObjectIds.ExclusiveLimitStateMachineType_Low);
        private static readonly LimitStateFields LowLow = Of("LowLow", ObjectIds.ExclusiveLimitStateMachineType_LowLow);

        public static LimitStateFields Of(string state) => state switch
        {
            "HighHigh" => HighHigh,
            "High" => High,
            "Low" => Low,
            _ => LowLow,
        };

        private static LimitStateFields Of(string state, uint id) =>
            new(new Variant(BuiltInType.LocalizedText, new LocalizedText("en", state)), new Variant(BuiltInType.NodeId, NodeId.Of(id)));
    }
}

/// <summary>An OffNormalAlarmType alarm (Part 9, 5.8.23): active while its source is not in its normal state (a Bad reading, a lost service).</summary>
public sealed class OffNormalAlarm : AlarmCondition
{
    internal OffNormalAlarm(ConditionManager manager, NodeId nodeId, NodeId source, string sourceName, string name, DateTime now)
        : base(manager, nodeId, NodeId.Of(ObjectTypeIds.OffNormalAlarmType), source, sourceName, name, now)
    {
    }
}
