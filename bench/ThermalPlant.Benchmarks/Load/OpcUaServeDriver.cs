using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.History;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.Benchmarks.Load;

/// <summary>
/// Our OPC UA server in its own process, so that the read-throughput benchmark can measure its CPU time alone:
/// serves <see cref="BenchTree"/> on opc.tcp://127.0.0.1:PORT/freeopcua/server/ and gives every variable a new
/// value every <c>--update-ms</c>, as a host polling a live plant would. With <c>--pki DIR</c> it also offers
/// Basic256Sha256 SignAndEncrypt, its certificate in the store DIR, accepting any client certificate (a benchmark has
/// no administrator to trust one). With <c>--history N</c> every variable keeps its last N values in memory, filled at
/// start with N values one second apart up to now, so HistoryRead has something to answer (the attack probe).
/// Prints "ready PORT" once listening and stops on SIGTERM or Ctrl+C, printing the bytes the managed heap allocated
/// since "ready" and the collections of each generation. Only options every version of the server has are
/// set, so the probe can run this driver against an older server library.
/// <c>--max-sessions</c> (64) bounds sessions and connections, all from the one loopback address.
/// Usage: <c>opcua-serve [--variables 1000] [--port 0] [--update-ms 1000] [--pki DIR] [--history 0] [--max-sessions 64]</c>.
/// </summary>
internal static class OpcUaServeDriver
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = DriverArgs.Int(args, "--variables", 1000);
        var port = DriverArgs.Int(args, "--port", 0);
        var update = TimeSpan.FromMilliseconds(DriverArgs.Int(args, "--update-ms", 1000));
        var history = DriverArgs.Int(args, "--history", 0);
        var sessions = DriverArgs.Int(args, "--max-sessions", 64);

        // The client opens several sessions, each on its own connection.
        var pki = DriverArgs.Value(args, "--pki");
        var options = new OpcUaServerOptions { Address = IPAddress.Loopback, Port = port, HostName = "127.0.0.1", MaxSessions = sessions, MaxConnections = sessions, MaxConnectionsPerAddress = sessions };
        if (pki is not null)
        {
            options = options with
            {
                Security = [EndpointSecurity.None, new EndpointSecurity(SecurityPolicyUris.Basic256Sha256, MessageSecurityMode.SignAndEncrypt)],
                CertificateStorePath = pki,
                AutoAcceptUntrustedCertificates = true,
            };
        }
        await using var server = history > 0 ? new OpcUaServer(options, history: new MemoryHistoryStore(history, TimeSpan.FromDays(1))) : new OpcUaServer(options);
        var variables = AddTree(server.AddressSpace, count, historizing: history > 0);
        var values = new DataValue[count];
        var tick = 0L;
        var start = DateTime.UtcNow.AddSeconds(-history);
        for (; tick < history; tick++) SetAll(variables, values, tick, start.AddSeconds(tick));
        SetAll(variables, values, tick);
        server.Start();

        using var stop = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ready {server.Port}"));
        var allocatedAtReady = GC.GetTotalAllocatedBytes(precise: true);
        var collectionsAtReady = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));

        using var timer = new PeriodicTimer(update);
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token)) SetAll(variables, values, ++tick);
        }
        catch (OperationCanceledException)
        {
        }
        // What serving cost the managed heap since "ready", so that a load of known size gives the bytes per request.
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedAtReady;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"allocated {allocated} gen0 {GC.CollectionCount(0) - collectionsAtReady.Item1} gen1 {GC.CollectionCount(1) - collectionsAtReady.Item2} gen2 {GC.CollectionCount(2) - collectionsAtReady.Item3}"));
        return 0;
    }

    /// <summary>Adds <see cref="BenchTree"/> with <paramref name="count"/> variables to <paramref name="space"/>, keeping their history when <paramref name="historizing"/>.</summary>
    internal static UaVariable[] AddTree(UaAddressSpace space, int count, bool historizing = false)
    {
        var ns = space.RegisterNamespace(BenchTree.NamespaceUri);
        var plant = NodeId.Of("Plant", ns);
        space.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), plant, new QualifiedName(ns, "Plant"));
        var bench = NodeId.Of("Plant.Bench", ns);
        space.AddObject(plant, bench, new QualifiedName(ns, "Bench"));
        var variables = new UaVariable[count];
        for (var i = 0; i < count; i++)
        {
            var name = BenchTree.Name(i);
            variables[i] = space.AddVariable(bench, new UaVariable(NodeId.Of(BenchTree.Identifier(i), ns), new QualifiedName(ns, name), name, NodeId.Of(DataTypeIds.Double)) { Historizing = historizing });
        }
        return variables;
    }

    // Every variable renewed as one update (UaVariable.SetValues), as the plant server applies a poll of its sensors.
    private static void SetAll(UaVariable[] variables, DataValue[] values, long tick, DateTime? at = null)
    {
        var now = at ?? DateTime.UtcNow;
        for (var i = 0; i < variables.Length; i++)
        {
            values[i] = new DataValue { Value = Variant.From(BenchTree.Value(i, tick)), SourceTimestamp = now, ServerTimestamp = now };
        }
        UaVariable.SetValues(variables, values);
    }
}
