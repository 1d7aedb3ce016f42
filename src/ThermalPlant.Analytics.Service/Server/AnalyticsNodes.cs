using ThermalPlant.Analytics.Diagnosis;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Types;
using StatusCodes = ThermalPlant.OpcUa.Generated.StatusCodes;

namespace ThermalPlant.Analytics.Service.Server;

/// <summary>The variables of one analysed tag: <c>Analytics.Tags.&lt;path&gt;.AnomalyScore</c> and <c>.State</c>.</summary>
internal sealed record TagNodes(UaVariable Score, UaVariable State);

/// <summary>The variables of one component's diagnosis under <c>Analytics.Diagnoses.&lt;component&gt;</c>.</summary>
internal sealed record DiagnosisNodes(UaVariable FaultType, UaVariable Severity, UaVariable Evidence, UaVariable TimeToAlarm, UaVariable TimeToAlarmUncertainty, UaVariable Since);

/// <summary>
/// The results' address space (namespace <c>Analytics:NamespaceUri</c>, index 2), with NodeIds that are the browse path
/// joined by dots, so they stay the same across restarts:
/// <c>Objects/Analytics/Tags/&lt;tag path&gt;/AnomalyScore</c> (Double 0..1) and <c>/State</c> (Int32: 0 learning,
/// 1 normal, 2 anomalous) per tag; <c>Objects/Analytics/Diagnoses/&lt;component&gt;/</c> FaultType (String), Severity
/// (Int32: 0 none, 1 advisory, 2 warning, 3 critical), Evidence (String), TimeToAlarm and TimeToAlarmUncertainty
/// (Double, seconds; BadNoData when no trend gives one) and Since (DateTime) per component. The numeric ones are
/// historizing, so a client that lost its connection reads what it missed.
/// </summary>
internal sealed class AnalyticsNodes
{
    /// <summary>The NodeId (string part) of the root object.</summary>
    public const string RootId = "Analytics";

    private readonly UaAddressSpace _space;
    private readonly ushort _ns;

    /// <summary>The namespace index of the analytics nodes.</summary>
    public ushort Namespace => _ns;
    private readonly NodeId _tags;
    private readonly NodeId _diagnoses;

    /// <summary>Creates <c>Objects/Analytics</c> with its <c>Tags</c> and <c>Diagnoses</c> folders in namespace <paramref name="ns"/>.</summary>
    public AnalyticsNodes(UaAddressSpace space, ushort ns)
    {
        ArgumentNullException.ThrowIfNull(space);
        _space = space;
        _ns = ns;
        var root = NodeId.Of(RootId, ns);
        space.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), root, new QualifiedName(ns, RootId), description: new LocalizedText(null, "Anomaly scores of every analysed tag and diagnoses of the plant's components"));
        _tags = NodeId.Of(RootId + ".Tags", ns);
        space.AddObject(root, _tags, new QualifiedName(ns, "Tags"), description: new LocalizedText(null, "Per analysed tag: its anomaly score and its detector's state"));
        _diagnoses = NodeId.Of(RootId + ".Diagnoses", ns);
        space.AddObject(root, _diagnoses, new QualifiedName(ns, "Diagnoses"), description: new LocalizedText(null, "Per machine component: the diagnosed fault, its severity, evidence and time to alarm"));
    }

    /// <summary>The NodeId string of a tag's anomaly score, e.g. <c>Analytics.Tags.Plant.Temperature.Upper.AnomalyScore</c>.</summary>
    public static string ScoreId(string tagPath) => $"{RootId}.Tags.{tagPath.Replace('/', '.')}.AnomalyScore";

    /// <summary>The NodeId string of a tag's detector state.</summary>
    public static string StateId(string tagPath) => $"{RootId}.Tags.{tagPath.Replace('/', '.')}.State";

    /// <summary>The NodeId string of a component's diagnosis variable <paramref name="name"/> (FaultType, Severity, ...).</summary>
    public static string DiagnosisId(string component, string name) => $"{RootId}.Diagnoses.{component}.{name}";

    /// <summary>Adds the nodes of the tag at <paramref name="tagPath"/> ('/'-separated), or returns the existing ones.</summary>
    public TagNodes AddTag(string tagPath, string description)
    {
        var owner = Folders(_tags, RootId + ".Tags", tagPath.Split('/'));
        var ownerId = owner.Id;
        if (_space.Find(NodeId.Of(ownerId + ".AnomalyScore", _ns)) is UaVariable score && _space.Find(NodeId.Of(ownerId + ".State", _ns)) is UaVariable state) return new TagNodes(score, state);
        return new TagNodes(
            Variable(owner.Node, ownerId + ".AnomalyScore", "AnomalyScore", DataTypeIds.Double, $"Anomaly score of {description}: 0 fits what was learned, 1 is as unusual as it gets", true),
            Variable(owner.Node, ownerId + ".State", "State", DataTypeIds.Int32, $"Detector state of {description}: 0 learning, 1 normal, 2 anomalous", true));
    }

    /// <summary>Adds the nodes of <paramref name="component"/> ('.'-separated, e.g. <c>MainShaft.Bearing</c>), or returns the existing ones.</summary>
    public DiagnosisNodes AddComponent(string component)
    {
        var owner = Folders(_diagnoses, RootId + ".Diagnoses", component.Split('.'));
        var id = owner.Id;
        if (_space.Find(NodeId.Of(id + ".Severity", _ns)) is UaVariable)
        {
            UaVariable Existing(string name) => (UaVariable)_space.Find(NodeId.Of($"{id}.{name}", _ns))!;
            return new DiagnosisNodes(Existing("FaultType"), Existing("Severity"), Existing("Evidence"), Existing("TimeToAlarm"), Existing("TimeToAlarmUncertainty"), Existing("Since"));
        }
        return new DiagnosisNodes(
            Variable(owner.Node, id + ".FaultType", "FaultType", DataTypeIds.String, $"Fault diagnosed on {component} (bearing_wear, stuck, drift, ...); none when healthy", false),
            Variable(owner.Node, id + ".Severity", "Severity", DataTypeIds.Int32, $"Severity of the diagnosis of {component}: 0 none, 1 advisory, 2 warning, 3 critical", true),
            Variable(owner.Node, id + ".Evidence", "Evidence", DataTypeIds.String, $"The figures the diagnosis of {component} rests on", false),
            Variable(owner.Node, id + ".TimeToAlarm", "TimeToAlarm", DataTypeIds.Double, $"Estimated seconds until the fault of {component} reaches its alarm level; BadNoData when no trend gives one", true),
            Variable(owner.Node, id + ".TimeToAlarmUncertainty", "TimeToAlarmUncertainty", DataTypeIds.Double, $"One-sigma uncertainty of TimeToAlarm of {component}, seconds", true),
            Variable(owner.Node, id + ".Since", "Since", DataTypeIds.DateTime, $"When the fault of {component} was first diagnosed", false));
    }

    /// <summary>Puts a score and, when it changed, the state into the tag's variables.</summary>
    public static void SetScore(TagNodes nodes, AnomalyScore score, bool stateChanged, DateTime source, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        nodes.Score.SetValue(new DataValue { Value = Variant.From(score.Score), Status = StatusCode.Good, SourceTimestamp = source, ServerTimestamp = now });
        if (stateChanged) nodes.State.SetValue(new DataValue { Value = Variant.From((int)score.State), Status = StatusCode.Good, SourceTimestamp = source, ServerTimestamp = now });
    }

    /// <summary>The tag's source cannot be read: its variables keep their last values under BadCommunicationError, not recorded as history.</summary>
    public static void MarkUnreachable(TagNodes nodes, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        foreach (var variable in new[] { nodes.Score, nodes.State })
        {
            var last = variable.Value;
            if (last.Status.Code == StatusCodes.BadCommunicationError) continue;
            variable.SetValue(last with { Status = StatusCodes.BadCommunicationError, ServerTimestamp = now }, historize: false);
        }
    }

    /// <summary>Puts a diagnosis into its component's variables; <paramref name="evidenceAndTrend"/> false leaves Evidence and the time to alarm as they are.</summary>
    public static void SetDiagnosis(DiagnosisNodes nodes, Diagnosis.Diagnosis diagnosis, DateTime source, DateTime now, bool evidenceAndTrend = true)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(diagnosis);
        var healthy = diagnosis.Severity == FaultSeverity.None;
        Set(nodes.FaultType, Variant.From(diagnosis.FaultType));
        Set(nodes.Severity, Variant.From((int)diagnosis.Severity));
        Set(nodes.Since, healthy ? Variant.Null : Variant.From(diagnosis.SinceUtc), healthy ? StatusCodes.BadNoData : StatusCode.Good);
        if (!evidenceAndTrend) return;
        Set(nodes.Evidence, Variant.From(diagnosis.Evidence));
        Set(nodes.TimeToAlarm, diagnosis.TimeToAlarm is { } tta ? Variant.From(tta.TotalSeconds) : Variant.Null, diagnosis.TimeToAlarm is null ? StatusCodes.BadNoData : StatusCode.Good);
        Set(nodes.TimeToAlarmUncertainty, diagnosis.TimeToAlarmUncertainty is { } u ? Variant.From(u.TotalSeconds) : Variant.Null, diagnosis.TimeToAlarmUncertainty is null ? StatusCodes.BadNoData : StatusCode.Good);

        void Set(UaVariable variable, Variant value, StatusCode? status = null) =>
            variable.SetValue(new DataValue { Value = value, Status = status ?? StatusCode.Good, SourceTimestamp = source, ServerTimestamp = now });
    }

    private (NodeId Node, string Id) Folders(NodeId parent, string parentId, string[] segments)
    {
        var node = parent;
        var id = parentId;
        foreach (var segment in segments)
        {
            id += "." + segment;
            var folder = NodeId.Of(id, _ns);
            if (_space.Find(folder) is null) _space.AddObject(node, folder, new QualifiedName(_ns, segment));
            node = folder;
        }
        return (node, id);
    }

    private UaVariable Variable(NodeId owner, string id, string name, uint dataType, string description, bool historizing) =>
        _space.AddVariable(owner, new UaVariable(NodeId.Of(id, _ns), new QualifiedName(_ns, name), name, NodeId.Of(dataType))
        {
            Description = new LocalizedText(null, description),
            Historizing = historizing,
        });
}
