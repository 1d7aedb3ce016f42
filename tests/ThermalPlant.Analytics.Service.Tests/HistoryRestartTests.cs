using System.Net;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Testing;

namespace ThermalPlant.Analytics.Service.Tests;

/// <summary>
/// The history the analytics endpoint serves over HistoryRead survives a restart: it is kept in the OPC UA library's
/// history file format under <c>Analytics:HistoryPath</c>, and a service started again on the same data directory
/// serves the values the one before it recorded.
/// </summary>
[Collection(AnalyticsHostCollection.Name)]
public sealed class HistoryRestartTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_restarted_service_serves_the_history_recorded_before_the_restart()
    {
        using var directory = new TempDirectory("thermalplant-analytics-history-");
        await using var source = await SourceServer.StartAsync();
        var analyticsPort = PeerPrograms.FreePort();
        var analyticsUrl = $"opc.tcp://127.0.0.1:{analyticsPort}/thermalplant/analytics/";
        string[] Settings() =>
        [
            "--urls=http://127.0.0.1:0", "--Serilog:MinimumLevel:Default=Warning",
            $"--Analytics:Sources:0:Url={source.Url}", "--Analytics:Sources:0:PublishingInterval=00:00:00.100",
            "--Analytics:ListenAddress=127.0.0.1", "--Analytics:HostName=127.0.0.1", $"--Analytics:Port={analyticsPort}",
            $"--Analytics:StatePath={Path.Combine(directory.Path, "analytics-state.bin")}",
            $"--Analytics:HistoryPath={Path.Combine(directory.Path, "analytics-history.bin")}",
            $"--Analytics:CertificateStorePath={Path.Combine(directory.Path, "analytics-pki")}",
            "--Analytics:Detector:LearningSamples=5",
        ];
        var score = NodeId.Parse("ns=2;s=Analytics.Tags.Plant.Temperature.AnomalyScore");
        var from = DateTime.UtcNow.AddMinutes(-1);

        DataValue[] before;
        var first = AnalyticsHost.Create(Settings());
        await first.StartAsync();
        try
        {
            await using var client = await OpcUaClient.ConnectAsync(analyticsUrl);
            await client.OpenSessionAsync("history-before");
            var waited = System.Diagnostics.Stopwatch.StartNew();
            do
            {
                await Task.Delay(200);
                before = await ReadAsync(client, score, from, DateTime.UtcNow.AddMinutes(1));
            }
            while (before.Length < 20 && waited.Elapsed < Deadline);
            Assert.True(before.Length >= 20, $"only {before.Length} scores in the analytics endpoint's history after {Deadline}");
        }
        finally
        {
            await first.StopAsync();
            await first.DisposeAsync();
        }
        var stoppedAt = before[^1].SourceTimestamp!.Value;

        // The same data directory, a new process's worth of service: the earlier values are read back from the file and
        // served as soon as the tag's node is there again (made when the source is browsed).
        await using var second = AnalyticsHost.Create(Settings());
        await second.StartAsync();
        await using (var client = await OpcUaClient.ConnectAsync(analyticsUrl))
        {
            await client.OpenSessionAsync("history-after");
            var after = Array.Empty<DataValue>();
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (after.Length == 0 && waited.Elapsed < Deadline)
            {
                await Task.Delay(200);
                after = await ReadAsync(client, score, from, stoppedAt.AddTicks(1));
            }
            Assert.Equal(before.Select(v => (v.SourceTimestamp, v.Value.Value)), after.Where(v => v.SourceTimestamp <= stoppedAt).Select(v => (v.SourceTimestamp, v.Value.Value)));
        }
        await second.StopAsync();
    }

    // Until the service has browsed the source, the tag's node does not exist: nothing to read yet.
    private static async Task<DataValue[]> ReadAsync(OpcUaClient client, NodeId node, DateTime start, DateTime end)
    {
        try
        {
            return await client.HistoryReadRawAsync(node, start, end);
        }
        catch (OpcUaException ex) when (ex.Status.Code == StatusCodes.BadNodeIdUnknown)
        {
            return [];
        }
    }

    /// <summary>An OPC UA server on loopback with one historized Double, Plant/Temperature, renewed every 50 ms.</summary>
    private sealed class SourceServer : IAsyncDisposable
    {
        private readonly OpcUaServer _server;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _producing;

        private SourceServer(OpcUaServer server, UaVariable temperature)
        {
            _server = server;
            _producing = ProduceAsync(temperature, _stop.Token);
        }

        public string Url => $"opc.tcp://127.0.0.1:{_server.Port}/thermalplant/source/";

        public static Task<SourceServer> StartAsync()
        {
            var server = new OpcUaServer(new OpcUaServerOptions
            {
                Address = IPAddress.Loopback,
                Port = 0,
                HostName = "127.0.0.1",
                EndpointPath = "/thermalplant/source/",
                ApplicationUri = "urn:thermalplant:test:source",
            });
            var space = server.AddressSpace;
            var ns = space.RegisterNamespace("urn:thermalplant:test:plant");
            var plant = space.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), NodeId.Of("Plant", ns), new QualifiedName(ns, "Plant")).NodeId;
            var temperature = space.AddVariable(plant, new UaVariable(NodeId.Of("Plant.Temperature", ns), new QualifiedName(ns, "Temperature"), "Temperature", NodeId.Of(DataTypeIds.Double)) { Historizing = true });
            server.Start();
            return Task.FromResult(new SourceServer(server, temperature));
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _producing;
            await _server.DisposeAsync();
            _stop.Dispose();
        }

        private static async Task ProduceAsync(UaVariable temperature, CancellationToken cancellationToken)
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
            var i = 0;
            try
            {
                while (await timer.WaitForNextTickAsync(cancellationToken))
                {
                    temperature.SetValue(new DataValue { Value = Variant.From(500 + Math.Sin(i++ * 0.3)), SourceTimestamp = DateTime.UtcNow });
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
