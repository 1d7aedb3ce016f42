using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.Conditions;
using ThermalPlant.OpcUa.Server.History;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.Benchmarks.Load;

/// <summary>
/// Our OPC UA server in its own process raising alarm transitions at a steady rate, so that the alarm benchmark can
/// measure its CPU alone (issue 15): <c>--alarms</c> ExclusiveLimitAlarms (High 80, HighHigh 90) on as many variables
/// under <c>Objects/Plant</c> (a notifier of the Server object, the variables its event sources, as the plant server
/// has them), driven round-robin between 50 and 85 so that each evaluation is one transition (active High, then back
/// to normal), <c>--rate</c> transitions per second in all, raised in a batch every <c>--tick</c> ms (as many as are due
/// by the clock: 100 per tick at 1,000/s and the default 100 ms, as the plant server evaluates its alarms once per poll of
/// the sensors, at 100 ms at its fastest). Every event is recorded in a <see cref="FileEventHistoryStore"/> at
/// <c>--event-history</c>, flushed every second, as the plant server does (<c>--event-history memory</c> keeps them in a
/// <see cref="MemoryEventHistoryStore"/> instead, to tell the file's share). Prints "ready PORT" once listening, and on
/// SIGTERM the transitions made and the rate held, with what this process measured of itself over the run: bytes
/// allocated and CPU per transition, and its garbage collections; stops on SIGTERM or Ctrl+C.
/// Usage: <c>opcua-alarm-serve --event-history FILE [--alarms 100] [--rate 1000] [--tick 100] [--port 0]</c>.
/// </summary>
internal static class AlarmServeDriver
{
    public static async Task<int> RunAsync(string[] args)
    {
        var historyPath = DriverArgs.Value(args, "--event-history");
        if (historyPath is null)
        {
            await Console.Error.WriteLineAsync("usage: opcua-alarm-serve --event-history FILE [--alarms N] [--rate N] [--tick MS] [--port N]");
            return 2;
        }
        var count = DriverArgs.Int(args, "--alarms", 100);
        var rate = DriverArgs.Double(args, "--rate", 1000);
        var port = DriverArgs.Int(args, "--port", 0);
        var tick = TimeSpan.FromMilliseconds(DriverArgs.Double(args, "--tick", 100));

        await using var file = historyPath == "memory" ? null : new FileEventHistoryStore(historyPath, 20_000, TimeSpan.FromDays(7), TimeProvider.System);
        IEventHistoryStore history = file is null ? new MemoryEventHistoryStore(20_000, TimeSpan.FromDays(7)) : file;
        var options = new OpcUaServerOptions { Address = IPAddress.Loopback, Port = port, HostName = "127.0.0.1", MaxSessions = 64, MaxConnections = 64 };
        await using var server = new OpcUaServer(options, eventHistory: history);
        var space = server.AddressSpace;
        var ns = space.RegisterNamespace(BenchTree.NamespaceUri);
        var plant = NodeId.Of("Plant", ns);
        space.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), plant, new QualifiedName(ns, "Plant"));
        server.Events.MakeNotifier(plant);
        space.AddReference(NodeId.Of(ObjectIds.Server), ReferenceTypeIds.HasNotifier, plant);
        var alarms = new ExclusiveLimitAlarm[count];
        for (var i = 0; i < count; i++)
        {
            var name = BenchTree.Name(i);
            var source = NodeId.Of($"Plant.{name}", ns);
            space.AddVariable(plant, new OpcUa.Server.AddressSpace.UaVariable(source, new QualifiedName(ns, name), name, NodeId.Of(DataTypeIds.Double)));
            space.AddReference(plant, ReferenceTypeIds.HasEventSource, source);
            alarms[i] = server.Conditions.AddExclusiveLimitAlarm(NodeId.Of($"Plant.{name}.Limit", ns), source, $"Plant/{name}", "Limit",
                new LimitAlarmSettings { High = 80, HighHigh = 90, Deadband = 1 });
        }
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
        var heapAtStart = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ready {server.Port}"));

        // Every tick as many transitions as are due by the clock, so the rate holds whatever the timer's jitter.
        var clock = Stopwatch.StartNew();
        var lastFlush = TimeSpan.Zero;
        long done = 0;
        var allocatedAtStart = GC.GetTotalAllocatedBytes(precise: true);
        var cpuAtStart = Environment.CpuUsage.TotalTime;
        int[] collectionsAtStart = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        using var timer = new PeriodicTimer(tick);
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                var due = (long)(clock.Elapsed.TotalSeconds * rate);
                for (; done < due; done++)
                {
                    var alarm = alarms[done % count];
                    // Each alarm's own count of evaluations says where it is: even to High, odd back to normal.
                    alarm.Evaluate((done / count) % 2 == 0 ? 85 : 50);
                }
                if (file is not null && clock.Elapsed - lastFlush >= TimeSpan.FromSeconds(1))
                {
                    lastFlush = clock.Elapsed;
                    await file.FlushAsync(stop.Token);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        var elapsed = clock.Elapsed;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedAtStart;
        var cpu = Environment.CpuUsage.TotalTime - cpuAtStart;
        var collections = string.Join('/', collectionsAtStart.Select((count, generation) => GC.CollectionCount(generation) - count));
        var kept = file is null ? ((MemoryEventHistoryStore)history).Count : file.Count;
        // The heap's growth over the run is mostly the kept events (the sessions are closed by then).
        var perEvent = kept == 0 ? 0 : (GC.GetTotalMemory(forceFullCollection: true) - heapAtStart) / (double)kept;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"transitions {done} in {elapsed.TotalSeconds:F1} s ({done / elapsed.TotalSeconds:F0}/s, a batch every {tick.TotalMilliseconds:F0} ms), {kept} events kept, {perEvent:F0} bytes of heap per kept event; over the run (alone and with the clients, start-up excluded): {allocated / (double)Math.Max(done, 1):F0} bytes allocated and {cpu.TotalMicroseconds / Math.Max(done, 1):F1} us of process CPU per transition, garbage collections (gen 0/1/2) {collections}"));
        return 0;
    }
}
