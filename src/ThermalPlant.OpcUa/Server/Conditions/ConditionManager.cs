using System.Collections.Concurrent;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Events;
using ThermalPlant.OpcUa.Server.Methods;
using ThermalPlant.OpcUa.Server.Sessions;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Conditions;

/// <summary>
/// The server's alarms (Part 9): a host adds them on its source nodes and drives them; clients call the condition
/// methods by the types' method ids on a condition (Acknowledge, Confirm, AddComment, Enable, Disable, which need the
/// Write permission: an Operator may, an Observer gets BadUserAccessDenied) and ConditionRefresh on ConditionType (the
/// Subscribe permission), which sends RefreshStart, the last event of every retained condition, and RefreshEnd to the
/// caller's subscription. Each condition is an Object of its type under a HasCondition reference from its source, with
/// its state variables (EnabledState, ActiveState, AckedState, ConfirmedState and their Ids, Retain, Severity, Message,
/// Time, Comment) as components.
/// </summary>
public sealed class ConditionManager
{
    private readonly ConcurrentDictionary<NodeId, AlarmCondition> _conditions = new();
    private readonly UaAddressSpace _space;
    private readonly TimeProvider _time;
    private readonly Func<uint, Session, bool> _ownsSubscription;

    internal ConditionManager(UaAddressSpace space, EventManager events, TimeProvider time, Func<uint, Session, bool> ownsSubscription)
    {
        _space = space;
        Events = events;
        _time = time;
        _ownsSubscription = ownsSubscription;
        AddTypeMethods();
    }

    /// <summary>The conditions, in no particular order.</summary>
    public IReadOnlyCollection<AlarmCondition> All => [.. _conditions.Values];

    internal EventManager Events { get; }

    internal DateTime Now => _time.GetUtcNow().UtcDateTime;

    /// <summary>An AlarmConditionType alarm the host activates and clears (for example an analytics diagnosis).</summary>
    public AlarmCondition AddAlarm(NodeId nodeId, NodeId source, string sourceName, string name) =>
        Register(new AlarmCondition(this, nodeId, NodeId.Of(ObjectTypeIds.AlarmConditionType), source, sourceName, name, Now));

    /// <summary>An OffNormalAlarmType alarm, active while its source is off normal.</summary>
    public OffNormalAlarm AddOffNormalAlarm(NodeId nodeId, NodeId source, string sourceName, string name) =>
        Register(new OffNormalAlarm(this, nodeId, source, sourceName, name, Now));

    /// <summary>An ExclusiveLimitAlarmType alarm on a numeric source.</summary>
    public ExclusiveLimitAlarm AddExclusiveLimitAlarm(NodeId nodeId, NodeId source, string sourceName, string name, LimitAlarmSettings limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var errors = limits.Validate().ToList();
        if (errors.Count > 0) throw new ArgumentException($"limits of {nodeId}: {string.Join("; ", errors)}", nameof(limits));
        var alarm = Register(new ExclusiveLimitAlarm(this, nodeId, source, sourceName, name, limits, Now));
        foreach (var (field, value) in new[] { ("HighHighLimit", limits.HighHigh), ("HighLimit", limits.High), ("LowLimit", limits.Low), ("LowLowLimit", limits.LowLow) })
        {
            if (value is { } limit) Property(alarm.NodeId, field, DataTypeIds.Double, () => Variant.From(limit));
        }
        return alarm;
    }

    /// <summary>Removes a condition and its nodes (its source left the address space); false when there is none.</summary>
    public bool Remove(NodeId nodeId)
    {
        if (!_conditions.TryRemove(nodeId, out _)) return false;
        _space.Remove(nodeId);
        return true;
    }

    /// <summary>The condition with <paramref name="nodeId"/>, or null.</summary>
    public AlarmCondition? Find(NodeId nodeId) => _conditions.GetValueOrDefault(nodeId);

    private T Register<T>(T condition)
        where T : AlarmCondition
    {
        var id = condition.NodeId;
        if (id.Text is null) throw new ArgumentException($"condition {id} needs a string NodeId: its state variables are named from it", nameof(condition));
        if (_space.Find(condition.Source) is null) throw new ArgumentException($"source {condition.Source} does not exist", nameof(condition));
        _space.Add(new UaNode(id, NodeClass.Object, new QualifiedName(id.NamespaceIndex, condition.Name), condition.Name));
        _space.AddReference(id, ReferenceTypeIds.HasTypeDefinition, condition.Type);
        _space.AddReference(condition.Source, ReferenceTypeIds.HasCondition, id);
        TwoState(id, "EnabledState", () => condition.State.Enabled, "Enabled", "Disabled");
        TwoState(id, "ActiveState", () => condition.State.Active, "Active", "Inactive");
        TwoState(id, "AckedState", () => condition.State.Acked, "Acknowledged", "Unacknowledged");
        TwoState(id, "ConfirmedState", () => condition.State.Confirmed, "Confirmed", "Unconfirmed");
        Property(id, "Retain", DataTypeIds.Boolean, () => Variant.From(condition.State.Retain));
        Property(id, "Severity", DataTypeIds.UInt16, () => Variant.From(condition.State.Severity));
        Property(id, "Message", DataTypeIds.LocalizedText, () => new Variant(BuiltInType.LocalizedText, condition.State.Message));
        Property(id, "Time", DataTypeIds.UtcTime, () => Variant.From(condition.State.Time));
        Property(id, "ConditionName", DataTypeIds.String, () => Variant.From(condition.Name));
        Variable(id, "Comment", DataTypeIds.LocalizedText, () => new Variant(BuiltInType.LocalizedText, condition.State.Comment), ReferenceTypeIds.HasComponent, VariableTypeIds.ConditionVariableType);
        if (!_conditions.TryAdd(id, condition)) throw new ArgumentException($"condition {id} exists already", nameof(condition));
        return condition;
    }

    private void TwoState(NodeId condition, string name, Func<bool> value, string trueText, string falseText)
    {
        var state = Variable(condition, name, DataTypeIds.LocalizedText, () => new Variant(BuiltInType.LocalizedText, new LocalizedText("en", value() ? trueText : falseText)), ReferenceTypeIds.HasComponent, VariableTypeIds.TwoStateVariableType);
        Property(state, "Id", DataTypeIds.Boolean, () => Variant.From(value()));
    }

    private NodeId Property(NodeId parent, string name, uint dataType, Func<Variant> value) =>
        Variable(parent, name, dataType, value, ReferenceTypeIds.HasProperty, VariableTypeIds.PropertyType);

    private NodeId Variable(NodeId parent, string name, uint dataType, Func<Variant> value, uint reference, uint type)
    {
        var id = NodeId.Of($"{parent.Text}.{name}", parent.NamespaceIndex);
        _space.AddVariable(parent, new UaVariable(id, new QualifiedName(0, name), name, NodeId.Of(dataType))
        {
            ValueSource = () => new DataValue { Value = value(), SourceTimestamp = Now, ServerTimestamp = Now },
        }, reference, type);
        return id;
    }

    private void AddTypeMethods()
    {
        Argument[] commented = [UaMethod.Argument("EventId", DataTypeIds.ByteString, "the latest event of the condition"), UaMethod.Argument("Comment", DataTypeIds.LocalizedText, "the operator's comment")];
        AddTypeMethod(ObjectTypeIds.ConditionType, MethodIds.ConditionType_Enable, "Enable", [], null, (c, _) => c.Enable(true));
        AddTypeMethod(ObjectTypeIds.ConditionType, MethodIds.ConditionType_Disable, "Disable", [], null, (c, _) => c.Enable(false));
        AddTypeMethod(ObjectTypeIds.ConditionType, MethodIds.ConditionType_AddComment, "AddComment", commented, VariableIds.ConditionType_AddComment_InputArguments, (c, call) => c.AddComment(EventId(call), Comment(call), call.Identity.UserName));
        AddTypeMethod(ObjectTypeIds.AcknowledgeableConditionType, MethodIds.AcknowledgeableConditionType_Acknowledge, "Acknowledge", commented, VariableIds.AcknowledgeableConditionType_Acknowledge_InputArguments, (c, call) => c.Acknowledge(EventId(call), Comment(call), call.Identity.UserName));
        AddTypeMethod(ObjectTypeIds.AcknowledgeableConditionType, MethodIds.AcknowledgeableConditionType_Confirm, "Confirm", commented, VariableIds.AcknowledgeableConditionType_Confirm_InputArguments, (c, call) => c.Confirm(EventId(call), Comment(call), call.Identity.UserName));
        _space.AddMethod(NodeId.Of(ObjectTypeIds.ConditionType), new UaMethod(NodeId.Of(MethodIds.ConditionType_ConditionRefresh), new QualifiedName(0, "ConditionRefresh"), "ConditionRefresh", Refresh)
        {
            InputArguments = [UaMethod.Argument("SubscriptionId", DataTypeIds.IntegerId, "the subscription to send the retained conditions to")],
            Permissions = UserPermissions.Subscribe,
        }, NodeId.Of(VariableIds.ConditionType_ConditionRefresh_InputArguments));
    }

    private void AddTypeMethod(uint type, uint id, string name, Argument[] inputs, uint? inputsId, Func<AlarmCondition, MethodCall, StatusCode> run)
    {
        _space.AddMethod(NodeId.Of(type), new UaMethod(NodeId.Of(id), new QualifiedName(0, name), name, (call, _) =>
            _conditions.TryGetValue(call.ObjectId, out var condition) ? run(condition, call) : StatusCodes.BadMethodInvalid)
        {
            InputArguments = inputs,
        }, inputsId is { } argumentsId ? NodeId.Of(argumentsId) : null);
    }

    /// <summary>ConditionRefresh (Part 9, 5.5.7): the retained conditions' last events again, between RefreshStart and RefreshEnd, to one subscription.</summary>
    private StatusCode Refresh(MethodCall call, Variant[] outputs)
    {
        var subscriptionId = (uint)call.Inputs[0].Value!;
        if (!_ownsSubscription(subscriptionId, call.Session)) return StatusCodes.BadSubscriptionIdInvalid;
        Events.RaiseTo(subscriptionId, Marker(ObjectTypeIds.RefreshStartEventType, "RefreshStart"), resend: false);
        foreach (var condition in _conditions.Values)
        {
            if (condition.State.Retain && condition.LastEvent is { } last) Events.RaiseTo(subscriptionId, last, resend: true);
        }
        Events.RaiseTo(subscriptionId, Marker(ObjectTypeIds.RefreshEndEventType, "RefreshEnd"), resend: false);
        return StatusCode.Good;
    }

    private UaEvent Marker(uint type, string name) => new(NodeId.Of(type))
    {
        SourceNode = NodeId.Of(ObjectIds.Server),
        SourceName = "Server",
        Time = Now,
        Message = new LocalizedText("en", name),
        Severity = 1,
    };

    private static byte[] EventId(MethodCall call) => call.Inputs[0].Value as byte[] ?? [];

    private static LocalizedText Comment(MethodCall call) => call.Inputs[1].Value is LocalizedText text ? text : default;
}
