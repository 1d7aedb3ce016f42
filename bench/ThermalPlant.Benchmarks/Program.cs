using System.Reflection;
using BenchmarkDotNet.Running;
using ThermalPlant.Benchmarks.Detectors;
using ThermalPlant.Benchmarks.Load;

// Load drivers by name; anything else goes to BenchmarkDotNet (e.g. `--filter *AudioFeatures*`).
return args.FirstOrDefault() switch
{
    "http-latency" => await HttpLatencyDriver.RunAsync(args[1..]),
    "audio-realtime" => AudioRealtimeDriver.Run(args[1..]),
    "opcua-serve" => await OpcUaServeDriver.RunAsync(args[1..]),
    "opcua-read-throughput" => await OpcUaReadThroughputDriver.RunAsync(args[1..]),
    "opcua-read-request" => await OpcUaReadRequestDriver.RunAsync(args[1..]),
    "opcua-attack" => await OpcUaAttackDriver.RunAsync(args[1..]),
    "opcserver-freshness" => await OpcServerFreshnessDriver.RunAsync(args[1..]),
    "opcserver-idle-cpu" => await OpcServerIdleCpuDriver.RunAsync(args[1..]),
    "opcua-alarm-serve" => await AlarmServeDriver.RunAsync(args[1..]),
    "opcua-alarm-load" => await AlarmLoadDriver.RunAsync(args[1..]),
    "opcserver-alarm-latency" => await AlarmLatencyDriver.RunAsync(args[1..]),
    "ingest" => await IngestDriver.RunAsync(args[1..]),
    "e2e" => await EndToEndDriver.RunAsync(args[1..]),
    "cluster-ingest" => await ClusterIngestDriver.RunAsync(args[1..]),
    "modbus-exhaustion" => await ModbusExhaustionDriver.RunAsync(args[1..]),
    "detectors" => DetectorsDriver.Run(args[1..]),
    _ => RunBenchmarks(args),
};

static int RunBenchmarks(string[] args)
{
    BenchmarkSwitcher.FromAssembly(Assembly.GetExecutingAssembly()).Run(args);
    return 0;
}
