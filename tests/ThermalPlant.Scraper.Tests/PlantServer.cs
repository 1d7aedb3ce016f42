using System.Collections.Concurrent;
using System.Net;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Conditions;
using ThermalPlant.OpcUa.Server.Events;
using ThermalPlant.OpcUa.Server.History;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.Scraper.Tests;

/// <summary>
/// Our OPC UA server on loopback with the seed's tree under Objects/Plant, every variable historizing into a store
/// that survives a restart of the server (as a plant historian does; its events' history too), and a producer that changes every numeric
/// variable every <see cref="Period"/> and remembers each value's source timestamp, so a test can compare exactly.
/// </summary>
internal sealed class PlantServer : IAsyncDisposable
{
    public const string Namespace = "urn:thermalplant:test:plant";

    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(50);

    private readonly MemoryHistoryStore _history = new(100_000, TimeSpan.FromHours(1));
    // A day by Time, as a real server keeps days: an event stamped hours before it was raised (RaiseLate) is still held.
    private readonly MemoryEventHistoryStore _eventHistory = new(100_000, TimeSpan.FromDays(1));
    private readonly ConcurrentDictionary<string, List<DateTime>> _produced = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, UaEvent> _events = new(StringComparer.Ordinal);
    private readonly List<UaVariable> _numeric = [];
    private readonly Lock _lock = new();
    private OpcUaServer? _server;
    private CancellationTokenSource? _producing;
    private Task? _producer;
    private long _tick;
    private bool _alarms;
    private AlarmCondition? _alarm;

    private readonly OpcUaServerOptions _options;

    private PlantServer(int port, OpcUaServerOptions options)
    {
        _options = options with { Address = IPAddress.Loopback, Port = port, HostName = "127.0.0.1" };
        Port = port;
        Url = $"opc.tcp://127.0.0.1:{port}/freeopcua/server/";
    }

    public int Port { get; }

    /// <summary>The endpoint URL the scraper uses (the tags' endpoint); a relay in between changes it.</summary>
    public string Url { get; private set; } = "";

    /// <summary>Compares against the tags of <paramref name="url"/> (the scraper connected through a relay).</summary>
    public PlantServer WithUrl(string url)
    {
        Url = url;
        return this;
    }

    /// <summary>Every variable's node id text with the source timestamps it was given.</summary>
    public IReadOnlyDictionary<string, List<DateTime>> Produced => _produced;

    /// <summary>Every event raised (with <see cref="RaiseAlarms"/>), by its EventId in hex.</summary>
    public IReadOnlyDictionary<string, UaEvent> RaisedEvents => _events;

    /// <summary>
    /// From now on (and after restarts) each tick of the producer also moves an alarm on the upper thermocouple
    /// (active and cleared in turn, an event each) and every fifth tick raises a system event that is no condition.
    /// </summary>
    public void RaiseAlarms()
    {
        lock (_lock)
        {
            _alarms = true;
            if (_server is not null) _alarm = AddAlarm(_server);
        }
    }

    /// <summary>The variable names that must be stored: (sensorname, tagname) per node id text.</summary>
    public static readonly (string Path, string Sensor, string Tag, int Elements)[] Numeric =
    [
        ("Temperature/Upper", "temperature", "upper", 0),
        ("Temperature/Lower", "temperature", "lower", 0),
        ("RPM/MainShaft", "rpm", "mainshaft", 0),
        ("Voltage/MainSupply", "voltage", "mainsupply", 0),
        ("Audio/MFCC/Coefficient_0", "audio", "mfcc.coefficient_0", 0),
        ("Audio/MFCC/Coefficient_1", "audio", "mfcc.coefficient_1", 0),
        ("Audio/Level", "audio", "level", 0),
        ("Audio/Spectrum", "audio", "spectrum", 4),
        ("Burner/Running", "burner", "running", 0),
        ("Burner/Starts", "burner", "starts", 0),
    ];

    /// <summary>Starts the server; <paramref name="options"/> adds what a test needs (users), address and port are the plant's.</summary>
    public static Task<PlantServer> StartAsync(OpcUaServerOptions? options = null) => StartAsync(ThermalPlant.Testing.PeerPrograms.FreePort(), options);

    /// <summary>Starts the server on <paramref name="port"/> (where a test had something else listening before).</summary>
    public static async Task<PlantServer> StartAsync(int port, OpcUaServerOptions? options = null)
    {
        var plant = new PlantServer(port, options ?? new OpcUaServerOptions());
        plant.Open();
        await Task.CompletedTask;
        return plant;
    }

    /// <summary>Starts changing values every <see cref="Period"/>.</summary>
    public void StartProducing()
    {
        _producing = new CancellationTokenSource();
        _producer = ProduceAsync(_producing.Token);
    }

    /// <summary>Stops changing values; returns once the last change is made.</summary>
    public async Task StopProducingAsync()
    {
        if (_producing is not null && _producer is not null)
        {
            await _producing.CancelAsync();
            await _producer;
            _producing.Dispose();
            _producing = null;
        }
    }

    /// <summary>Stops the server (the producer pauses with it) and starts it again on the same port with the same history.</summary>
    public async Task RestartAsync(TimeSpan down)
    {
        lock (_lock)
        {
            _numeric.Clear();
        }
        var server = _server!;
        _server = null;
        await server.DisposeAsync();
        await Task.Delay(down);
        Open();
    }

    public async ValueTask DisposeAsync()
    {
        await StopProducingAsync();
        if (_server is not null) await _server.DisposeAsync();
    }

    private void Open()
    {
        var server = new OpcUaServer(_options, TimeProvider.System, _history, _eventHistory);
        var space = server.AddressSpace;
        var ns = space.RegisterNamespace(Namespace);
        var plant = space.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), NodeId.Of("Plant", ns), new QualifiedName(ns, "Plant")).NodeId;
        var folders = new Dictionary<string, NodeId>(StringComparer.Ordinal);
        NodeId Folder(string path)
        {
            if (folders.TryGetValue(path, out var known)) return known;
            var slash = path.LastIndexOf('/');
            var parent = slash < 0 ? plant : Folder(path[..slash]);
            var name = path[(slash + 1)..];
            var node = space.AddObject(parent, NodeId.Of("Plant." + path.Replace('/', '.'), ns), new QualifiedName(ns, name)).NodeId;
            folders[path] = node;
            return node;
        }
        var numeric = new List<UaVariable>();
        foreach (var (path, _, _, elements) in Numeric)
        {
            var slash = path.LastIndexOf('/');
            var id = NodeId.Of("Plant." + path.Replace('/', '.'), ns);
            var dataType = path.EndsWith("Running", StringComparison.Ordinal) ? DataTypeIds.Boolean : path.EndsWith("Starts", StringComparison.Ordinal) ? DataTypeIds.Int32 : DataTypeIds.Double;
            var variable = new UaVariable(id, new QualifiedName(ns, path[(slash + 1)..]), path[(slash + 1)..], NodeId.Of(dataType))
            {
                Historizing = true,
                ValueRank = elements > 0 ? 1 : -1,
                ArrayDimensions = elements > 0 ? [(uint)elements] : null,
            };
            numeric.Add(space.AddVariable(Folder(path[..slash]), variable));
        }
        // Not numeric: found, counted as skipped, never stored.
        space.AddVariable(Folder("Burner"), new UaVariable(NodeId.Of("Plant.Burner.Model", ns), new QualifiedName(ns, "Model"), "Model", NodeId.Of(DataTypeIds.String)))
            .SetValue(new DataValue { Value = Variant.From("B-42"), SourceTimestamp = DateTime.UtcNow });
        // A reference back up the tree: browsing must not loop.
        space.AddReference(Folder("Audio/MFCC"), ReferenceTypeIds.Organizes, plant);
        // The event hierarchy as a server with alarms has it (Plant the notifier of its sources): a browser that followed
        // it would reach these first as Plant/Upper and Plant/MFCC/... and store them under those names.
        space.AddReference(plant, ReferenceTypeIds.HasEventSource, NodeId.Of("Plant.Temperature.Upper", ns));
        space.AddReference(plant, ReferenceTypeIds.HasNotifier, Folder("Audio/MFCC"));
        server.Events.Raised += e => _events[Convert.ToHexString(e.EventId)] = e;
        server.Start();
        lock (_lock)
        {
            _server = server;
            _numeric.AddRange(numeric);
            if (_alarms) _alarm = AddAlarm(server);
        }
    }

    /// <summary>
    /// Adds the Object Plant/<paramref name="name"/> as an event notifier of its own; with <paramref name="serverReports"/>
    /// false the Server object is no notifier any more, as on servers that report events only in their areas.
    /// </summary>
    public NodeId AddEventArea(string name, bool serverReports)
    {
        OpcUaServer server;
        lock (_lock) server = _server ?? throw new InvalidOperationException("the server is not running");
        var space = server.AddressSpace;
        var ns = space.RegisterNamespace(Namespace);
        var area = space.AddObject(NodeId.Of("Plant", ns), NodeId.Of("Plant." + name, ns), new QualifiedName(ns, name)).NodeId;
        server.Events.MakeNotifier(area);
        if (!serverReports) server.Events.RemoveNotifier(NodeId.Of(ObjectIds.Server));
        return area;
    }

    /// <summary>Raises a system event whose source is <paramref name="area"/>; recorded in <see cref="RaisedEvents"/>.</summary>
    public void RaiseIn(NodeId area, string message)
    {
        OpcUaServer server;
        lock (_lock) server = _server ?? throw new InvalidOperationException("the server is not running");
        server.Events.Raise(new UaEvent(NodeId.Of(ObjectTypeIds.SystemEventType))
        {
            SourceNode = area,
            SourceName = area.ToString(),
            Time = DateTime.UtcNow,
            Message = message,
            Severity = 200,
        });
    }

    /// <summary>Raises a system event stamped <paramref name="age"/> before now (a source reporting late); recorded in <see cref="RaisedEvents"/>.</summary>
    public void RaiseLate(TimeSpan age, string message)
    {
        OpcUaServer server;
        lock (_lock) server = _server ?? throw new InvalidOperationException("the server is not running");
        var now = DateTime.UtcNow;
        server.Events.Raise(new UaEvent(NodeId.Of(ObjectTypeIds.SystemEventType))
        {
            SourceNode = NodeId.Of(ObjectIds.Server),
            SourceName = "Server",
            Time = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerMillisecond), DateTimeKind.Utc) - age,
            Message = message,
            Severity = 100,
        });
    }

    private static AlarmCondition AddAlarm(OpcUaServer server)
    {
        var ns = server.AddressSpace.RegisterNamespace(Namespace);
        return server.Conditions.AddAlarm(NodeId.Of("Plant.Temperature.Upper.Alarm", ns), NodeId.Of("Plant.Temperature.Upper", ns), "Upper", "Alarm");
    }

    private static void RaiseEvents(OpcUaServer server, AlarmCondition alarm, long tick)
    {
        if (tick % 2 == 0) alarm.Activate($"upper thermocouple high at tick {tick}", (ushort)(500 + (tick % 300)));
        else alarm.Clear($"upper thermocouple normal at tick {tick}");
        if (tick % 5 == 0)
        {
            server.Events.Raise(new UaEvent(NodeId.Of(ObjectTypeIds.SystemEventType))
            {
                SourceNode = NodeId.Of(ObjectIds.Server),
                SourceName = "Server",
                Time = DateTime.UtcNow,
                Message = $"system event {tick}",
                Severity = 100,
            });
        }
    }

    private async Task ProduceAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Period);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                lock (_lock)
                {
                    if (_numeric.Count == 0) continue;
                    var tick = ++_tick;
                    // Millisecond timestamps: exact in PostgreSQL's microseconds and in OPC UA's 100 ns.
                    var now = DateTime.UtcNow;
                    var stamp = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);
                    foreach (var variable in _numeric)
                    {
                        var id = variable.NodeId.ToString();
                        var list = _produced.GetOrAdd(id, _ => []);
                        if (list.Count > 0 && list[^1] >= stamp) stamp = list[^1].AddMilliseconds(1);
                        Variant value = variable.DataType.Numeric switch
                        {
                            DataTypeIds.Boolean => Variant.From(tick % 2 == 0),
                            DataTypeIds.Int32 => Variant.From((int)tick),
                            _ when variable.ValueRank == 1 => Variant.From([tick, tick + 0.25, tick + 0.5, tick + 0.75]),
                            _ => Variant.From(tick + 0.5),
                        };
                        variable.SetValue(new DataValue { Value = value, SourceTimestamp = stamp, ServerTimestamp = stamp });
                        list.Add(stamp);
                    }
                    if (_server is not null && _alarm is not null) RaiseEvents(_server, _alarm, tick);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
