using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Testing;

namespace ThermalPlant.Interop.Tests;

/// <summary>node-opcua's client against our events and Alarms &amp; Conditions: its filters, ConditionRefresh, the condition methods by role, and bad input.</summary>
public sealed class NodeOpcUaAlarmTests
{
    private static readonly X509Certificate2 ServerCertificate = TestCertificates.Create("thermalplant-interop", "urn:thermalplant:opcserver");

    [Fact]
    public async Task Node_opcua_sees_our_alarms_refreshes_them_acknowledges_and_confirms_as_operator_and_is_refused_as_observer()
    {
        var script = NodeOpcUa.Script("client-alarms.mjs");
        Assert.NotNull(script);
        await using var server = new OpcUaServer(new OpcUaServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            HostName = "127.0.0.1",
            ApplicationCertificate = ServerCertificate,
            Users = new UserAuthenticationOptions
            {
                Users =
                [
                    new UserAccount { Name = "operator", Role = "Operator", PasswordHash = PasswordHash.Create("op-pass", PasswordHash.MinIterations) },
                    new UserAccount { Name = "observer", Role = "Observer", PasswordHash = PasswordHash.Create("obs-pass", PasswordHash.MinIterations) },
                ],
            },
        });
        var ns = server.AddressSpace.RegisterNamespace("urn:thermalplant:plant");
        var source = NodeId.Of("Plant.Temperature", ns);
        server.AddressSpace.AddVariable(NodeId.Of(ObjectIds.ObjectsFolder), new UaVariable(source, new QualifiedName(ns, "Temperature"), "Temperature", NodeId.Of(DataTypeIds.Double)));
        var alarm = server.Conditions.AddOffNormalAlarm(NodeId.Of("Plant.Temperature.BadReading", ns), source, "Plant/Temperature", "BadReading");
        server.Start();
        alarm.Activate("Plant/Temperature reads Bad: open_circuit", 700);

        var environment = new Dictionary<string, string>
        {
            ["THERMALPLANT_TEST_USER"] = "operator",
            ["THERMALPLANT_TEST_PASSWORD"] = "op-pass",
            ["THERMALPLANT_TEST_OBSERVER"] = "observer",
            ["THERMALPLANT_TEST_OBSERVER_PASSWORD"] = "obs-pass",
        };
        var (exit, output) = await ManagedProcess.RunAsync("node", [script, $"opc.tcp://127.0.0.1:{server.Port}/freeopcua/server/", $"ns={ns};s=Plant.Temperature.BadReading"], TimeSpan.FromSeconds(90), Path.GetDirectoryName(script), environment);
        Assert.True(exit == 0, output);
        using var doc = JsonDocument.Parse(output.Split('\n').Last(line => line.StartsWith('{')));
        var root = doc.RootElement;
        Assert.False(root.TryGetProperty("error", out var error), error.ToString());

        Assert.Equal(5, root.GetProperty("serverEventNotifier").GetInt32());
        Assert.Equal("Good", root.GetProperty("refresh").GetString());
        Assert.Equal("Good", root.GetProperty("ack").GetString());
        Assert.Equal("BadEventIdUnknown", root.GetProperty("stale").GetString());
        Assert.Equal("BadInvalidArgument", root.GetProperty("mistyped").GetString());
        Assert.Equal("BadMethodInvalid", root.GetProperty("wrongObject").GetString());
        Assert.Equal("Good", root.GetProperty("confirm").GetString());
        Assert.Equal("Good", root.GetProperty("observerRefresh").GetString());
        Assert.Equal("BadUserAccessDenied", root.GetProperty("observerAck").GetString());
        Assert.Equal("BadSubscriptionIdInvalid", root.GetProperty("observerOnOthersSubscription").GetString());

        var events = root.GetProperty("events").EnumerateArray().ToList();
        var types = events.Select(e => e.GetProperty("EventType").GetString()).ToList();
        Assert.Equal("ns=0;i=2787", types[0]);
        Assert.Equal("ns=0;i=2788", types[2]);
        var refreshed = events[1];
        Assert.Equal($"ns={ns};s=Plant.Temperature.BadReading", refreshed.GetProperty("ConditionId").GetString());
        Assert.Equal("ns=0;i=10637", refreshed.GetProperty("EventType").GetString());
        Assert.Equal("Plant/Temperature", refreshed.GetProperty("SourceName").GetString());
        Assert.Equal(700, refreshed.GetProperty("Severity").GetInt32());
        Assert.True(refreshed.GetProperty("ActiveState.Id").GetBoolean());
        Assert.False(refreshed.GetProperty("AckedState.Id").GetBoolean());
        Assert.True(refreshed.GetProperty("Retain").GetBoolean());
        Assert.Contains(events, e => e.GetProperty("AckedState.Id").ValueKind == JsonValueKind.True && e.GetProperty("Comment").GetString() == "node-opcua acknowledges");
        Assert.Contains(events, e => e.GetProperty("ConfirmedState.Id").ValueKind == JsonValueKind.True && e.GetProperty("Comment").GetString() == "node-opcua confirms");
        // The event history as node-opcua reads it (as the observer, two events a request): every transition in the order
        // raised, the refresh's own events not among them; with a where clause only the acknowledged ones.
        var history = root.GetProperty("history");
        Assert.Equal("Good", history.GetProperty("status").GetString());
        var past = history.GetProperty("events").EnumerateArray().ToList();
        Assert.True(history.GetProperty("requests").GetInt32() >= 2, history.ToString());
        Assert.True(past.Count == 3, history.ToString());
        Assert.All(past, e => Assert.Equal($"ns={ns};s=Plant.Temperature.BadReading", e.GetProperty("ConditionId").GetString()));
        Assert.All(past, e => Assert.True(e.GetProperty("ActiveState.Id").GetBoolean()));
        Assert.Equal([false, true, true], past.Select(e => e.GetProperty("AckedState.Id").GetBoolean()));
        Assert.Equal([true, false, true], past.Select(e => e.GetProperty("ConfirmedState.Id").GetBoolean()));
        Assert.Equal([null, "node-opcua acknowledges", "node-opcua confirms"], past.Select(e => e.GetProperty("Comment").GetString()));
        Assert.Equal(events.Where(e => e.GetProperty("EventType").GetString() == "ns=0;i=10637").Select(e => e.GetProperty("EventId").GetString()).Distinct(), past.Select(e => e.GetProperty("EventId").GetString()));
        var acked = root.GetProperty("ackedHistory").GetProperty("events").EnumerateArray().Select(e => e.GetProperty("Comment").GetString()).ToList();
        Assert.Equal(["node-opcua acknowledges", "node-opcua confirms"], acked);

        // The refused calls changed nothing: acknowledged and confirmed once each, by the operator.
        Assert.True(alarm.State.Acked);
        Assert.True(alarm.State.Confirmed);
        Assert.Equal("operator", alarm.State.ClientUserId);
        Assert.Equal("node-opcua confirms", alarm.State.Comment.Text);
    }
}
