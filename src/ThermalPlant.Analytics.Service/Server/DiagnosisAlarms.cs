using ThermalPlant.Analytics.Diagnosis;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.Conditions;
using ThermalPlant.OpcUa.Types;
using DiagnosisRecord = ThermalPlant.Analytics.Diagnosis.Diagnosis;

namespace ThermalPlant.Analytics.Service.Server;

/// <summary>
/// Raises each component's diagnosis as an OPC UA alarm (AlarmConditionType, Part 9) where SCADA clients look:
/// <c>ns=2;s=Analytics.Diagnoses.&lt;component&gt;.Alarm</c>, its source the component's folder, with the fault type and
/// evidence in the message and the severity mapped to 250 / 500 / 800. <c>Objects/Analytics/Diagnoses</c> is the event
/// notifier. Fed by <see cref="Engine.AnalyticsEngine.DiagnosisChanged"/>, the one place a diagnosis changes state.
/// </summary>
internal sealed class DiagnosisAlarms
{
    private readonly OpcUaServer _server;
    private readonly ushort _ns;
    private readonly NodeId _notifier;
    private readonly Dictionary<string, AlarmCondition> _alarms = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Makes the diagnoses folder of namespace <paramref name="ns"/> an event notifier of <paramref name="server"/>.</summary>
    public DiagnosisAlarms(OpcUaServer server, ushort ns)
    {
        _server = server;
        _ns = ns;
        _notifier = NodeId.Of(AnalyticsNodes.RootId + ".Diagnoses", ns);
        server.Events.MakeNotifier(_notifier);
        server.AddressSpace.AddReference(NodeId.Of(ObjectIds.Server), ReferenceTypeIds.HasNotifier, _notifier);
    }

    /// <summary>The alarm node of <paramref name="component"/>.</summary>
    public static string AlarmId(string component) => $"{AnalyticsNodes.RootId}.Diagnoses.{component}.Alarm";

    /// <summary>Activates, escalates or clears the component's alarm; a component seen healthy only never gets one.</summary>
    public void OnDiagnosisChanged(DiagnosisRecord? previous, DiagnosisRecord current)
    {
        lock (_lock)
        {
            if (!_alarms.TryGetValue(current.Component, out var alarm))
            {
                if (current.Severity == FaultSeverity.None) return;
                var source = NodeId.Of($"{AnalyticsNodes.RootId}.Diagnoses.{current.Component}", _ns);
                _server.AddressSpace.AddReference(_notifier, ReferenceTypeIds.HasEventSource, source);
                alarm = _server.Conditions.AddAlarm(NodeId.Of(AlarmId(current.Component), _ns), source, "Analytics/" + current.Component, "Diagnosis");
                _alarms.Add(current.Component, alarm);
            }
            if (current.Severity == FaultSeverity.None)
            {
                alarm.Clear(new LocalizedText("en", $"{current.Component}: {previous?.FaultType ?? "fault"} cleared; {current.Evidence}"));
            }
            else
            {
                alarm.Activate(new LocalizedText("en", Message(current)), Severity(current.Severity));
            }
        }
    }

    private static string Message(DiagnosisRecord diagnosis)
    {
        var message = $"{diagnosis.Component}: {diagnosis.FaultType} ({diagnosis.Severity}); {diagnosis.Evidence}";
        return diagnosis.TimeToAlarm is { } eta
            ? message + FormattableString.Invariant($"; alarm level in about {eta.TotalHours:F1} h") + (diagnosis.TimeToAlarmUncertainty is { } sigma ? FormattableString.Invariant($" (+/- {sigma.TotalHours:F1} h)") : "")
            : message;
    }

    private static ushort Severity(FaultSeverity severity) => severity switch
    {
        FaultSeverity.Advisory => 250,
        FaultSeverity.Warning => 500,
        _ => 800,
    };
}
