using System.CommandLine;
using System.Net;
using System.Text.Json;
using ThermalPlant.Cli.OpcUa;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Conditions;
using ThermalPlant.OpcUa.Server.Events;
using ThermalPlant.OpcUa.Server.Methods;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.Cli.Tests;

/// <summary><c>thermalplant opcua events|alarms|ack|call</c> against a real server on loopback.</summary>
public sealed class OpcUaEventCommandTests : IAsyncLifetime
{
    private OpcUaServer _server = null!;
    private NodeId _pump = NodeId.Null;
    private NodeId _source = NodeId.Null;
    private ExclusiveLimitAlarm _alarm = null!;
    private double _speed;

    private string Url => $"opc.tcp://127.0.0.1:{_server.Port}/freeopcua/server/";

    public Task InitializeAsync()
    {
        _server = new OpcUaServer(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1", MinPublishingInterval = TimeSpan.FromMilliseconds(20) });
        var space = _server.AddressSpace;
        var ns = space.RegisterNamespace("urn:thermalplant:plant");
        _pump = NodeId.Of("Plant.Pump", ns);
        _source = NodeId.Of("Plant.Pump.Speed", ns);
        space.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), _pump, new QualifiedName(ns, "Pump"), typeDefinition: ObjectTypeIds.BaseObjectType);
        space.AddVariable(_pump, new UaVariable(_source, new QualifiedName(ns, "Speed"), "Speed", NodeId.Of(DataTypeIds.Double)));
        space.AddMethod(_pump, new UaMethod(NodeId.Of("Plant.Pump.SetSpeed", ns), new QualifiedName(ns, "SetSpeed"), "SetSpeed", (call, outputs) =>
        {
            outputs[0] = Variant.From(_speed);
            call.Inputs[0].TryGetDouble(out _speed);
            return StatusCode.Good;
        })
        {
            InputArguments = [UaMethod.Argument("Rpm", DataTypeIds.Double, "the new speed"), UaMethod.Argument("Reason", DataTypeIds.String, "why")],
            OutputArguments = [UaMethod.Argument("Previous", DataTypeIds.Double, "the speed before")],
        });
        _alarm = _server.Conditions.AddExclusiveLimitAlarm(NodeId.Of("Plant.Pump.Speed.Limit", ns), _source, "Plant/Pump/Speed", "Limit", new LimitAlarmSettings { High = 100, HighHigh = 200 });
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Events_prints_only_the_events_its_where_clauses_pass()
    {
        using var stop = new CancellationTokenSource();
        var raising = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                Raise("quiet", 100, ObjectTypeIds.SystemEventType);
                Raise("base", 900, ObjectTypeIds.BaseEventType);
                Raise("loud", 900, ObjectTypeIds.DeviceFailureEventType);
                await Task.Delay(100);
            }
        });

        var (exit, output) = await Run("opcua", "events", Url, "--where", "Severity>=500", "--where", "type=SystemEventType", "--where", "SourceName!=muted", "--count", "2", "--seconds", "30", "--json", "--interval", "50");
        await stop.CancelAsync();
        await raising;

        Assert.Equal(0, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, line =>
        {
            using var doc = JsonDocument.Parse(line);
            Assert.Equal("loud", doc.RootElement.GetProperty("source").GetString());
            Assert.Equal("DeviceFailureEventType", doc.RootElement.GetProperty("type").GetString());
        });
    }

    [Fact]
    public async Task Events_with_history_prints_the_kept_events_of_the_range_that_pass_the_where_clauses()
    {
        var t0 = new DateTime(2026, 12, 1, 8, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < 6; i++)
        {
            _server.Events.Raise(new UaEvent(NodeId.Of(ObjectTypeIds.SystemEventType)) { SourceNode = _source, SourceName = $"kept-{i}", Time = t0.AddMinutes(i), Message = "kept", Severity = (ushort)(i % 2 == 0 ? 800 : 100) });
        }

        var (exit, output) = await Run("opcua", "events", Url, "--history", "--from", "2026-12-01T08:01:00Z", "--to", "2026-12-01T08:05:00Z", "--where", "Severity>=500", "--json");

        Assert.Equal(0, exit);
        var sources = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.GetProperty("source").GetString();
        });
        Assert.Equal(["kept-2", "kept-4"], sources);
    }

    [Fact]
    public async Task Events_with_a_malformed_where_clause_is_a_usage_error()
    {
        var (exit, _) = await Run("opcua", "events", Url, "--where", "Severity", "--seconds", "5");
        Assert.Equal(2, exit);
        (exit, _) = await Run("opcua", "events", Url, "--where", "type=NoSuchEventType", "--seconds", "5");
        Assert.Equal(2, exit);
    }

    [Fact]
    public async Task Alarms_lists_the_retained_conditions_and_ack_acknowledges_one()
    {
        _alarm.Evaluate(150);

        var (exit, output) = await Run("opcua", "alarms", Url, "--json");
        Assert.Equal(0, exit);
        using (var doc = JsonDocument.Parse(output))
        {
            var row = Assert.Single(doc.RootElement.EnumerateArray());
            Assert.Equal(_alarm.NodeId.ToString(), row.GetProperty("condition").GetString());
            Assert.True(row.GetProperty("active").GetBoolean());
            Assert.False(row.GetProperty("acked").GetBoolean());
        }

        (exit, output) = await Run("opcua", "ack", Url, _alarm.NodeId.ToString(), "--comment", "looking into it");
        Assert.Equal(0, exit);
        Assert.Equal("Good", output.Trim());
        Assert.True(_alarm.State.Acked);
        Assert.Equal("looking into it", _alarm.State.Comment.Text);

        (exit, _) = await Run("opcua", "ack", Url, _alarm.NodeId.ToString(), "--comment", "again");
        Assert.Equal(1, exit);
        (exit, _) = await Run("opcua", "ack", Url, "ns=2;s=Plant.Nothing", "--comment", "x");
        Assert.Equal(1, exit);
    }

    [Fact]
    public async Task Call_types_the_arguments_from_the_methods_InputArguments_and_prints_its_outputs()
    {
        var (exit, output) = await Run("opcua", "call", Url, _pump.ToString(), "ns=2;s=Plant.Pump.SetSpeed", "1500.5", "start-up");
        Assert.Equal(0, exit);
        Assert.Equal(["Good", "0"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
        Assert.Equal(1500.5, _speed);

        (exit, _) = await Run("opcua", "call", Url, _pump.ToString(), "ns=2;s=Plant.Pump.SetSpeed", "1");
        Assert.Equal(2, exit);
        (exit, _) = await Run("opcua", "call", Url, _source.ToString(), "ns=2;s=Plant.Pump.SetSpeed", "1", "x");
        Assert.Equal(1, exit);
        Assert.Equal(1500.5, _speed);
    }

    private void Raise(string source, ushort severity, uint type) =>
        _server.Events.Raise(new UaEvent(NodeId.Of(type)) { SourceNode = _source, SourceName = source, Time = DateTime.UtcNow, Message = source, Severity = severity });

    private static async Task<(int Exit, string Output)> Run(params string[] args)
    {
        using var output = new StringWriter();
        var shared = TextWriter.Synchronized(output);
        var root = new RootCommand { OpcUaCommands.Create(shared, error: TextWriter.Null) };
        var exit = await root.Parse(args).InvokeAsync();
        lock (shared) return (exit, output.ToString());
    }
}
