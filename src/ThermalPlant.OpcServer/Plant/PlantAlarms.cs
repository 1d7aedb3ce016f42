using ThermalPlant.OpcServer.Dmz;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Conditions;
using ThermalPlant.OpcUa.Server.Events;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcServer.Plant;

/// <summary>
/// The plant's alarms and system events (docs/opcua-alarms.md): per sensor an OffNormalAlarm while its reading is Bad
/// (open thermocouple, stuck bus, ADC fault, the sensors service lost), per scalar variable with configured limits an
/// ExclusiveLimitAlarm fed each Good or Uncertain value, and a DeviceFailure / SystemEvent when the DMZ or the sensors
/// service is lost and back. <c>Objects/Plant</c> is their event notifier. <see cref="PlantNodes"/> calls it under its lock.
/// </summary>
public sealed class PlantAlarms
{
    private readonly OpcUaServer _server;
    private readonly PlantAlarmSettings _settings;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, SensorAlarms> _sensors = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private NodeId _root = NodeId.Null;

    /// <summary>Creates the alarms of <paramref name="server"/>'s plant tree.</summary>
    public PlantAlarms(OpcUaServer server, PlantAlarmSettings settings, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(settings);
        _server = server;
        _settings = settings;
        _time = time;
    }

    /// <summary>The conditions served now.</summary>
    public int ConditionCount
    {
        get
        {
            lock (_lock) return _sensors.Values.Sum(s => 1 + s.Limits.Count);
        }
    }

    /// <summary>Makes <paramref name="root"/> (<c>Objects/Plant</c>) the notifier of the plant's events.</summary>
    internal void Attach(NodeId root)
    {
        _root = root;
        _server.Events.MakeNotifier(root);
        _server.AddressSpace.AddReference(NodeId.Of(ObjectIds.Server), ReferenceTypeIds.HasNotifier, root);
    }

    /// <summary>Adds the alarms of a sensor whose nodes were just built; <paramref name="source"/> is its variable or its vector's folder.</summary>
    internal void Add(SensorEntry entry, NodeId source, UaVariable[] variables)
    {
        if (!_settings.Enabled) return;
        lock (_lock)
        {
            _server.AddressSpace.AddReference(_root, ReferenceTypeIds.HasEventSource, source);
            var conditions = _server.Conditions;
            var bad = conditions.AddOffNormalAlarm(NodeId.Of(source.Text + ".BadReading", source.NamespaceIndex), source, "Plant/" + entry.Tag, "BadReading");
            var limits = new Dictionary<UaVariable, ExclusiveLimitAlarm>();
            if (entry.Length is null && _settings.For(entry.Tag) is { } settings)
            {
                var variable = variables[0];
                limits[variable] = conditions.AddExclusiveLimitAlarm(NodeId.Of(variable.NodeId.Text + ".Limit", variable.NodeId.NamespaceIndex), variable.NodeId, "Plant/" + entry.Tag, "Limit", settings);
            }
            _sensors[entry.Sensor] = new SensorAlarms(bad, limits);
        }
    }

    /// <summary>Removes the alarms of a sensor leaving the catalog.</summary>
    internal void Remove(SensorEntry entry)
    {
        lock (_lock)
        {
            if (!_sensors.Remove(entry.Sensor, out var alarms)) return;
            _server.Conditions.Remove(alarms.Bad.NodeId);
            foreach (var limit in alarms.Limits.Values) _server.Conditions.Remove(limit.NodeId);
        }
    }

    /// <summary>A reading was applied: the Bad-reading alarm follows its quality, the limit alarms its values.</summary>
    internal void OnReading(SensorEntry entry, SensorReading reading, UaVariable[] variables)
    {
        lock (_lock)
        {
            if (!_sensors.TryGetValue(entry.Sensor, out var alarms)) return;
            var badVariables = variables.Count(v => v.Value.Status.IsBad);
            if (badVariables > 0)
            {
                var cause = reading.Fault ?? (reading.Quality == "bad" ? "quality bad" : $"{badVariables} of {variables.Length} values missing");
                alarms.Bad.Activate(new LocalizedText("en", $"Plant/{entry.Tag} reads Bad: {cause}"), _settings.BadReadingSeverity);
                return;
            }
            alarms.Bad.Clear(new LocalizedText("en", $"Plant/{entry.Tag} reads again"));
            foreach (var (variable, limit) in alarms.Limits)
            {
                if (variable.Value.Value.TryGetDouble(out var value)) limit.Evaluate(value);
            }
        }
    }

    /// <summary>A sensor cannot be read because the DMZ or the sensors service is lost.</summary>
    internal void OnUnreachable(SensorEntry entry)
    {
        lock (_lock)
        {
            if (_sensors.TryGetValue(entry.Sensor, out var alarms)) alarms.Bad.Activate(new LocalizedText("en", $"Plant/{entry.Tag} cannot be read: the sensors service is lost"), _settings.ServiceLostSeverity);
        }
    }

    /// <summary>Raises a DeviceFailureEventType event: the DMZ or the sensors service stopped answering for <paramref name="group"/>.</summary>
    public void ServiceLost(string group, string reason) =>
        RaiseSystemEvent(ObjectTypeIds.DeviceFailureEventType, $"Sensors service lost for group {group}: {reason}", 800);

    /// <summary>Raises a SystemEventType event: the DMZ and the sensors service answer again for <paramref name="group"/>.</summary>
    public void ServiceBack(string group) =>
        RaiseSystemEvent(ObjectTypeIds.SystemEventType, $"Sensors service answers again for group {group}", 300);

    private void RaiseSystemEvent(uint type, string message, ushort severity)
    {
        if (!_settings.Enabled || _root.IsNull) return;
        _server.Events.Raise(new UaEvent(NodeId.Of(type))
        {
            SourceNode = _root,
            SourceName = "Plant/SensorsService",
            Time = _time.GetUtcNow().UtcDateTime,
            Message = new LocalizedText("en", message),
            Severity = severity,
        });
    }

    private sealed record SensorAlarms(OffNormalAlarm Bad, Dictionary<UaVariable, ExclusiveLimitAlarm> Limits);
}
