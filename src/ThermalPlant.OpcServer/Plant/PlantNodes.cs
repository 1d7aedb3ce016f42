using System.Runtime.InteropServices;
using ThermalPlant.OpcServer.Dmz;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Types;
using StatusCodes = ThermalPlant.OpcUa.Generated.StatusCodes;

namespace ThermalPlant.OpcServer.Plant;

/// <summary>
/// Keeps <c>Objects/Plant</c> in step with the sensor catalog (a sensor added appears, a removed one goes, without a
/// restart) and puts readings into the variables: the sensor's timestamp as SourceTimestamp, its quality as the status,
/// and Bad (never a stale Good) when the sensor or the DMZ cannot be read.
/// </summary>
public sealed class PlantNodes
{
    private const string UnitsNamespace = "http://www.opcfoundation.org/UA/units/un/cefact";

    private readonly UaAddressSpace _space;
    private readonly ushort _ns;
    private readonly TimeProvider _time;
    private readonly double _minimumSamplingInterval;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SensorNodes> _sensors = new(StringComparer.Ordinal);
    private readonly NodeId _root;
    private readonly PlantAlarms? _alarms;

    // One poll's new values and the readings they came from, kept between polls (under _lock) so a poll allocates none.
    private readonly List<UaVariable> _pendingVariables = [];
    private readonly List<DataValue> _pendingValues = [];
    private readonly List<(SensorNodes Nodes, SensorReading Reading)> _applied = [];

    /// <summary>Creates <c>Objects/Plant</c> in namespace <paramref name="ns"/>, with the sensors' alarms when <paramref name="alarms"/> is given.</summary>
    public PlantNodes(UaAddressSpace space, ushort ns, TimeProvider time, TimeSpan pollInterval, PlantAlarms? alarms = null)
    {
        ArgumentNullException.ThrowIfNull(space);
        _space = space;
        _ns = ns;
        _time = time;
        _minimumSamplingInterval = pollInterval.TotalMilliseconds;
        _root = NodeId.Of("Plant", ns);
        space.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), _root, new QualifiedName(ns, "Plant"), description: new LocalizedText(null, "The plant's sensors"));
        _alarms = alarms;
        _alarms?.Attach(_root);
    }

    /// <summary>Variables served now.</summary>
    public int VariableCount
    {
        get
        {
            lock (_lock)
            {
                var count = 0;
                foreach (var sensor in _sensors.Values) count += sensor.Variables.Length;
                return count;
            }
        }
    }

    /// <summary>Variables whose status is Bad now.</summary>
    public int BadCount
    {
        get
        {
            lock (_lock)
            {
                var count = 0;
                foreach (var sensor in _sensors.Values)
                {
                    foreach (var variable in sensor.Variables)
                    {
                        if (variable.Value.Status.IsBad) count++;
                    }
                }
                return count;
            }
        }
    }

    /// <summary>Whether every sensor of <paramref name="readings"/> has nodes (else the catalog changed).</summary>
    public bool Knows(ReadingsDocument readings)
    {
        ArgumentNullException.ThrowIfNull(readings);
        lock (_lock)
        {
            foreach (var reading in readings.Readings)
            {
                if (!_sensors.ContainsKey(reading.Sensor)) return false;
            }
            return true;
        }
    }

    /// <summary>Adds the nodes of new or changed sensors and removes those no longer listed; returns (added, removed).</summary>
    public (int Added, int Removed) Apply(SensorCatalogDocument catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        lock (_lock)
        {
            var listed = new HashSet<string>(StringComparer.Ordinal);
            var added = 0;
            var removed = 0;
            foreach (var entry in catalog.Sensors)
            {
                if (!ValidTag(entry.Tag) || !listed.Add(entry.Sensor)) continue;
                if (_sensors.TryGetValue(entry.Sensor, out var existing))
                {
                    if (existing.Entry == entry) continue;
                    removed += Remove(existing);
                }
                var nodes = Build(entry);
                _sensors[entry.Sensor] = nodes;
                added += nodes.Variables.Length;
            }
            foreach (var sensor in _sensors.Keys.Where(s => !listed.Contains(s)).ToList())
            {
                removed += Remove(_sensors[sensor]);
                _sensors.Remove(sensor);
            }
            return (added, removed);
        }
    }

    /// <summary>Puts the readings of the sensors whose group <paramref name="inGroup"/> accepts into their variables.</summary>
    public void ApplyReadings(ReadingsDocument readings, Func<string, bool> inGroup)
    {
        ArgumentNullException.ThrowIfNull(readings);
        ArgumentNullException.ThrowIfNull(inGroup);
        var now = _time.GetUtcNow().UtcDateTime;
        lock (_lock)
        {
            try
            {
                foreach (var reading in readings.Readings)
                {
                    if (!_sensors.TryGetValue(reading.Sensor, out var nodes) || !inGroup(nodes.Group)) continue;
                    var source = reading.Timestamp.UtcDateTime;
                    var status = Status(reading.Quality);
                    if (nodes.Entry.Length is null)
                    {
                        Collect(nodes.Variables[0], reading.Value, reading.Value is null ? StatusCodes.BadSensorFailure : status, source, now);
                    }
                    else
                    {
                        for (var i = 0; i < nodes.Variables.Length; i++)
                        {
                            double? value = reading.Values is { } values && i < values.Count ? values[i] : null;
                            Collect(nodes.Variables[i], value, value is null ? StatusCodes.BadSensorFailure : status, source, now);
                        }
                    }
                    _applied.Add((nodes, reading));
                }
                // The poll's values as one update (one lock and clock reading per subscription, not per value), then
                // the alarms, which read them.
                UaVariable.SetValues(CollectionsMarshal.AsSpan(_pendingVariables), CollectionsMarshal.AsSpan(_pendingValues));
                if (_alarms is not null)
                {
                    foreach (var (nodes, reading) in _applied) _alarms.OnReading(nodes.Entry, reading, nodes.Variables);
                }
            }
            finally
            {
                _pendingVariables.Clear();
                _pendingValues.Clear();
                _applied.Clear();
            }
        }
    }

    /// <summary>
    /// The DMZ or sensors service cannot be reached: every variable of the group turns BadCommunicationError, keeping
    /// its last value and that value's timestamp. Not recorded as history, since no new sample exists.
    /// </summary>
    public void MarkUnreachable(Func<string, bool> inGroup)
    {
        ArgumentNullException.ThrowIfNull(inGroup);
        var now = _time.GetUtcNow().UtcDateTime;
        lock (_lock)
        {
            foreach (var nodes in _sensors.Values)
            {
                if (!inGroup(nodes.Group)) continue;
                _alarms?.OnUnreachable(nodes.Entry);
                foreach (var variable in nodes.Variables)
                {
                    var last = variable.Value;
                    if (last.Status.Code == StatusCodes.BadCommunicationError) continue;
                    variable.SetValue(last with { Status = StatusCodes.BadCommunicationError, ServerTimestamp = now }, historize: false);
                }
            }
        }
    }

    /// <summary>Adds the variable's new value to the poll's update, unless it is the sample the variable holds.</summary>
    private void Collect(UaVariable variable, double? value, StatusCode status, DateTime source, DateTime now)
    {
        var last = variable.Value;
        // The sensors service samples at its own rate; a poll that finds the same sample changes nothing.
        if (last.SourceTimestamp == source && last.Status == status) return;
        OpcServerMetrics.SampleAge.Observe(Math.Max(0, (now - source).TotalSeconds));
        _pendingVariables.Add(variable);
        _pendingValues.Add(new DataValue
        {
            Value = value is { } v ? Variant.From(v) : last.Value,
            Status = status,
            SourceTimestamp = source,
            ServerTimestamp = now,
        });
    }

    private static StatusCode Status(string? quality) => quality switch
    {
        "good" => StatusCode.Good,
        "uncertain" => StatusCodes.UncertainLastUsableValue,
        _ => StatusCodes.BadSensorFailure,
    };

    private static bool ValidTag(string tag) =>
        tag.Length > 0 && !tag.StartsWith('/') && !tag.EndsWith('/') && !tag.Contains("//", StringComparison.Ordinal) && !tag.Contains('.', StringComparison.Ordinal);

    private SensorNodes Build(SensorEntry entry)
    {
        var segments = entry.Tag.Split('/');
        var parent = _root;
        var path = "Plant";
        var depth = entry.Length is null ? segments.Length - 1 : segments.Length;
        for (var i = 0; i < depth; i++)
        {
            path += "." + segments[i];
            var folder = NodeId.Of(path, _ns);
            if (_space.Find(folder) is null) _space.AddObject(parent, folder, new QualifiedName(_ns, segments[i]));
            parent = folder;
        }
        UaVariable[] variables;
        NodeId source;
        if (entry.Length is not { } length)
        {
            variables = [AddVariable(parent, $"{path}.{segments[^1]}", segments[^1], entry)];
            source = variables[0].NodeId;
        }
        else
        {
            variables = new UaVariable[Math.Max(0, length)];
            for (var i = 0; i < variables.Length; i++)
            {
                var name = $"{entry.ElementPrefix}{i}";
                variables[i] = AddVariable(parent, $"{path}.{name}", name, entry);
            }
            source = parent;
        }
        _alarms?.Add(entry, source, variables);
        return new SensorNodes(entry, segments[0], variables);
    }

    private UaVariable AddVariable(NodeId parent, string id, string name, SensorEntry entry)
    {
        var nodeId = NodeId.Of(id, _ns);
        var variable = _space.AddVariable(parent, new UaVariable(nodeId, new QualifiedName(_ns, name), name, NodeId.Of(DataTypeIds.Double))
        {
            Description = new LocalizedText(null, entry.Description ?? entry.Tag),
            Historizing = true,
            MinimumSamplingInterval = _minimumSamplingInterval,
        }, typeDefinition: VariableTypeIds.AnalogItemType);
        AddProperty(nodeId, $"{id}.EURange", "EURange", DataTypeIds.Range, ExtensionObject.From(new OpcUa.Generated.Range { Low = entry.RangeLow, High = entry.RangeHigh }));
        AddProperty(nodeId, $"{id}.EngineeringUnits", "EngineeringUnits", DataTypeIds.EUInformation, ExtensionObject.From(new EUInformation
        {
            NamespaceUri = UnitsNamespace,
            UnitId = UnitId(entry.UneceCode),
            DisplayName = new LocalizedText(null, entry.Unit ?? ""),
            Description = new LocalizedText(null, entry.Unit ?? ""),
        }));
        return variable;
    }

    private void AddProperty(NodeId owner, string id, string name, uint dataType, ExtensionObject value) =>
        _space.AddVariable(owner, new UaVariable(NodeId.Of(id, _ns), new QualifiedName(0, name), name, NodeId.Of(dataType)), ReferenceTypeIds.HasProperty, VariableTypeIds.PropertyType)
            .SetValue(new DataValue { Value = new Variant(BuiltInType.ExtensionObject, value), SourceTimestamp = _time.GetUtcNow().UtcDateTime });

    /// <summary>The UnitId of a UNECE code (Part 8, 5.6.3): its characters packed into an Int32, -1 when there is none.</summary>
    private static int UnitId(string? code)
    {
        if (string.IsNullOrEmpty(code) || code.Length > 3) return -1;
        var id = 0;
        foreach (var c in code) id = (id << 8) | (c & 0xFF);
        return id;
    }

    private int Remove(SensorNodes nodes)
    {
        _alarms?.Remove(nodes.Entry);
        foreach (var variable in nodes.Variables) _space.Remove(variable.NodeId);
        // Folders left without children go too, deepest first.
        var segments = nodes.Entry.Tag.Split('/');
        var depth = nodes.Entry.Length is null ? segments.Length - 1 : segments.Length;
        for (var i = depth; i > 0; i--)
        {
            var folder = NodeId.Of("Plant." + string.Join('.', segments[..i]), _ns);
            if (_space.Find(folder) is not { } node) continue;
            var hasChildren = false;
            foreach (var reference in node.References)
            {
                if (reference.IsForward && reference.ReferenceTypeId != NodeId.Of(ReferenceTypeIds.HasTypeDefinition)) hasChildren = true;
            }
            if (hasChildren) break;
            _space.Remove(folder);
        }
        return nodes.Variables.Length;
    }

    private sealed record SensorNodes(SensorEntry Entry, string Group, UaVariable[] Variables);
}
