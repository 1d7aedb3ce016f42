using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.Events;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Conditions;

/// <summary>
/// An alarm (Part 9, 5.8 AlarmConditionType) on a source node: a host activates and clears it (<see cref="Activate"/>,
/// <see cref="Clear"/>), clients acknowledge, confirm, comment, enable and disable it through the condition methods.
/// Every transition replaces <see cref="State"/> and, while enabled, raises an event of the condition's type carrying
/// its fields; a method must name the condition's latest event (BadEventIdUnknown otherwise). Thread-safe.
/// </summary>
public class AlarmCondition
{
    // The fields every event of every condition carries alike, built once rather than for each event.
    private static readonly Variant ProcessClass = new(BuiltInType.NodeId, NodeId.Of(ObjectTypeIds.ProcessConditionClassType));
    private static readonly Variant ProcessClassName = new(BuiltInType.LocalizedText, new LocalizedText(null, "Process"));
    private static readonly Variant NoBranch = new(BuiltInType.NodeId, NodeId.Null);
    private static readonly Variant GoodQuality = Variant.From(StatusCode.Good);
    private static readonly Variant NotSuppressed = Variant.From(false);
    private static readonly TwoStatePaths EnabledPaths = new("EnabledState", "Enabled", "Disabled");
    private static readonly TwoStatePaths ActivePaths = new("ActiveState", "Active", "Inactive");
    private static readonly TwoStatePaths AckedPaths = new("AckedState", "Acknowledged", "Unacknowledged");
    private static readonly TwoStatePaths ConfirmedPaths = new("ConfirmedState", "Confirmed", "Unconfirmed");

    private readonly Lock _lock = new();
    private readonly ConditionManager _manager;
    private volatile ConditionState _state;
    private volatile UaEvent? _lastEvent;

    // This condition's own constant fields.
    private readonly Variant _conditionName;
    private readonly Variant _inputNode;

    internal AlarmCondition(ConditionManager manager, NodeId nodeId, NodeId type, NodeId source, string sourceName, string name, DateTime now)
    {
        _manager = manager;
        NodeId = nodeId;
        Type = type;
        Source = source;
        SourceName = sourceName;
        Name = name;
        _state = new ConditionState { Time = now, ActiveSince = now };
        _conditionName = Variant.From(name);
        _inputNode = new Variant(BuiltInType.NodeId, source);
    }

    /// <summary>The condition's node (its ConditionId).</summary>
    public NodeId NodeId { get; }

    /// <summary>The condition's type (AlarmConditionType or a subtype).</summary>
    public NodeId Type { get; }

    /// <summary>The node the condition is about (its events' SourceNode).</summary>
    public NodeId Source { get; }

    /// <summary>The source's name in events.</summary>
    public string SourceName { get; }

    /// <summary>The ConditionName.</summary>
    public string Name { get; }

    /// <summary>The state now.</summary>
    public ConditionState State => _state;

    /// <summary>The last event raised, which ConditionRefresh sends again while the condition is retained.</summary>
    internal UaEvent? LastEvent => _lastEvent;

    /// <summary>
    /// Makes the alarm active with <paramref name="message"/> (for example a diagnosis with its evidence). Going active,
    /// or rising in severity while active, needs a new acknowledgement; the same message and severity again change nothing.
    /// </summary>
    public void Activate(LocalizedText message, ushort severity) => Set(true, message, severity, null);

    /// <summary>Returns the alarm to normal with <paramref name="message"/>; nothing happens when it is not active.</summary>
    public void Clear(LocalizedText message)
    {
        if (_state.Active) Set(false, message, _state.Severity, null);
    }

    /// <summary>Sets the active state, severity and message (and limit state); raises an event when anything changed.</summary>
    private protected void Set(bool active, LocalizedText message, ushort severity, string? limitState)
    {
        severity = Math.Clamp(severity, (ushort)1, (ushort)1000);
        Transition(s =>
        {
            if (s.Active == active && s.Severity == severity && s.Message == message && s.LimitState == limitState) return null;
            var acked = (active && !s.Active) || (active && severity > s.Severity) ? false : s.Acked;
            return s with { Active = active, Severity = severity, Message = message, LimitState = limitState, Acked = acked, ActiveSince = s.Active == active ? s.ActiveSince : Now };
        });
    }

    /// <summary>Acknowledge (Part 9, 5.7.3): the operator has seen it; a confirmation is due next.</summary>
    internal StatusCode Acknowledge(byte[] eventId, LocalizedText comment, string? user) => Method(eventId, s =>
        s.Acked ? (StatusCodes.BadConditionBranchAlreadyAcked, null) : (StatusCode.Good, Commented(s, comment, user) with { Acked = true, Confirmed = false }));

    /// <summary>Confirm (Part 9, 5.7.4): the cause has been dealt with.</summary>
    internal StatusCode Confirm(byte[] eventId, LocalizedText comment, string? user) => Method(eventId, s =>
        s.Confirmed ? (StatusCodes.BadConditionBranchAlreadyConfirmed, null) : (StatusCode.Good, Commented(s, comment, user) with { Confirmed = true }));

    /// <summary>AddComment (Part 9, 5.5.5).</summary>
    internal StatusCode AddComment(byte[] eventId, LocalizedText comment, string? user) => Method(eventId, s => (StatusCode.Good, Commented(s, comment, user)));

    /// <summary>Enable or Disable (Part 9, 5.5.4).</summary>
    internal StatusCode Enable(bool enable)
    {
        StatusCode status = StatusCode.Good;
        Transition(s =>
        {
            if (s.Enabled != enable) return s with { Enabled = enable };
            status = enable ? StatusCodes.BadConditionAlreadyEnabled : StatusCodes.BadConditionAlreadyDisabled;
            return null;
        });
        return status;
    }

    /// <summary>The fields of the condition's subtype (limits, limit state) added to each event.</summary>
    private protected virtual void AddFields(UaEvent e, ConditionState state)
    {
    }

    private DateTime Now => _manager.Now;

    private static ConditionState Commented(ConditionState s, LocalizedText comment, string? user) =>
        comment.Text is { Length: > 0 } ? s with { Comment = comment, ClientUserId = user } : s with { ClientUserId = user };

    /// <summary>A condition method on the latest event: refused while disabled, or for any other event.</summary>
    private StatusCode Method(byte[] eventId, Func<ConditionState, (StatusCode Status, ConditionState? Next)> change)
    {
        StatusCode status = StatusCode.Good;
        Transition(s =>
        {
            if (!s.Enabled) status = StatusCodes.BadConditionDisabled;
            else if (_lastEvent is not { } last || !last.EventId.AsSpan().SequenceEqual(eventId)) status = StatusCodes.BadEventIdUnknown;
            if (status.IsBad) return null;
            (status, var next) = change(s);
            return next;
        });
        return status;
    }

    private void Transition(Func<ConditionState, ConditionState?> change)
    {
        lock (_lock)
        {
            var previous = _state;
            if (change(previous) is not { } next) return;
            next = next with { Time = Now };
            _state = next;
            // A disabled condition reports nothing until enabled again, except the Disable itself (Part 9, 5.5.4).
            if (next.Enabled || previous.Enabled) Raise(next, previous);
        }
    }

    private void Raise(ConditionState s, ConditionState previous)
    {
        var e = new UaEvent(Type)
        {
            SourceNode = Source,
            SourceName = SourceName,
            Time = s.Time,
            Message = s.Message,
            Severity = s.Severity,
            ConditionId = NodeId,
        };
        e.Set("ConditionClassId", ProcessClass)
            .Set("ConditionClassName", ProcessClassName)
            .Set("ConditionName", _conditionName)
            .Set("BranchId", NoBranch)
            .Set("Retain", Variant.From(s.Retain))
            .Set("Quality", GoodQuality)
            .Set("LastSeverity", Variant.From(previous.Severity))
            .Set("Comment", new Variant(BuiltInType.LocalizedText, s.Comment))
            .Set("ClientUserId", Variant.From(s.ClientUserId))
            .Set("InputNode", _inputNode)
            .Set("SuppressedOrShelved", NotSuppressed)
            .Set("ActiveState/TransitionTime", Variant.From(s.ActiveSince));
        EnabledPaths.Set(e, s.Enabled);
        ActivePaths.Set(e, s.Active);
        AckedPaths.Set(e, s.Acked);
        ConfirmedPaths.Set(e, s.Confirmed);
        AddFields(e, s);
        _manager.Events.Raise(e);
        _lastEvent = e;
    }

    /// <summary>A two-state variable's field paths and texts, built once rather than for every event.</summary>
    private sealed class TwoStatePaths(string state, string trueText, string falseText)
    {
        private readonly string _id = state + "/Id";
        private readonly string _trueState = state + "/TrueState";
        private readonly string _falseState = state + "/FalseState";
        private readonly Variant _true = new(BuiltInType.LocalizedText, new LocalizedText("en", trueText));
        private readonly Variant _false = new(BuiltInType.LocalizedText, new LocalizedText("en", falseText));

        /// <summary>Sets the state's fields on <paramref name="e"/> for <paramref name="value"/>.</summary>
        public void Set(UaEvent e, bool value) =>
            e.Set(state, value ? _true : _false)
                .Set(_id, Variant.From(value))
                .Set(_trueState, _true)
                .Set(_falseState, _false);
    }
}
