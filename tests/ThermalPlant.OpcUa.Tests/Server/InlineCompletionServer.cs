using System.Globalization;
using System.Net;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Methods;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Transport;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Server;

/// <summary>
/// The test assembly's entry point, which no test runner calls: <see cref="InlineCompletionTests"/> starts this assembly
/// as a process of its own (<c>dotnet ThermalPlant.OpcUa.Tests.dll inline-server SECONDS</c>), because the runtime takes
/// its socket completion mode from the environment once per process, and the test host's sockets exist before any test.
/// </summary>
internal static class TestAssemblyEntry
{
    public static async Task<int> Main(string[] args) => args is ["inline-server", var seconds]
        ? await InlineCompletionServer.RunAsync(TimeSpan.FromSeconds(double.Parse(seconds, CultureInfo.InvariantCulture)))
        : 2;
}

/// <summary>
/// A server with a variable <c>Flow</c> and a method <c>Pump.Wait</c> that blocks its thread for a while, as host code
/// waiting on a device or a lock would. <c>Level</c> computes its value: once <c>Pump.Slow</c> is called, its next read
/// blocks as long, so that a publishing cycle sampling it holds its subscription's lock that long. Prints
/// <c>inline True|False</c> (measured), then <c>ready PORT NAMESPACE</c>, <c>blocking</c> each time the method starts
/// and <c>cycle-blocking</c> when the slow read does; lives five minutes at most.
/// </summary>
internal static class InlineCompletionServer
{
    public const string NamespaceUri = "urn:thermalplant:inline-test";

    public static async Task<int> RunAsync(TimeSpan block)
    {
        await using var server = new OpcUaServer(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1" });
        var space = server.AddressSpace;
        var ns = space.RegisterNamespace(NamespaceUri);
        var flow = space.AddVariable(NodeId.Of(ObjectIds.ObjectsFolder), new UaVariable(NodeId.Of("Flow", ns), new QualifiedName(ns, "Flow"), "Flow", NodeId.Of(DataTypeIds.Double)));
        flow.SetValue(new DataValue { Value = Variant.From(42.0) });
        var pump = NodeId.Of("Pump", ns);
        space.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), pump, new QualifiedName(ns, "Pump"), typeDefinition: ObjectTypeIds.BaseObjectType);
        space.AddMethod(pump, new UaMethod(NodeId.Of("Pump.Wait", ns), new QualifiedName(ns, "Wait"), "Wait", (_, _) =>
        {
            Console.WriteLine("blocking");
            Thread.Sleep(block);
            return StatusCode.Good;
        })
        { Permissions = UserPermissions.None });
        var slow = 0;
        space.AddVariable(pump, new UaVariable(NodeId.Of("Level", ns), new QualifiedName(ns, "Level"), "Level", NodeId.Of(DataTypeIds.Double))
        {
            ValueSource = () =>
            {
                if (Interlocked.Exchange(ref slow, 0) == 1)
                {
                    Console.WriteLine("cycle-blocking");
                    Thread.Sleep(block);
                }
                return new DataValue { Value = Variant.From(7.0) };
            },
        });
        space.AddMethod(pump, new UaMethod(NodeId.Of("Pump.Slow", ns), new QualifiedName(ns, "Slow"), "Slow", (_, _) =>
        {
            Volatile.Write(ref slow, 1);
            return StatusCode.Good;
        })
        { Permissions = UserPermissions.None });
        server.Start();
        var inline = await SocketCompletions.RunInlineAsync(CancellationToken.None);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"inline {inline}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ready {server.Port} {ns}"));
        // The test kills this process when it is done; an orphan left by a crashed test run ends by itself.
        await Task.Delay(TimeSpan.FromMinutes(5));
        return 0;
    }
}
