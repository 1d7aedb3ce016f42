using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using ThermalPlant.Analytics.Scalar;
using ThermalPlant.Analytics.Service.Engine;
using ThermalPlant.Analytics.Service.Server;
using ThermalPlant.Analytics.Service.Sources;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.Analytics.Service.Tests;

/// <summary>The service's engine over a real OPC UA server's address space (not listening unless a test starts it), with the real detectors and diagnoser.</summary>
internal sealed class TestEngine : IAsyncDisposable
{
    private TestEngine(OpcUaServer server, AnalyticsEngine engine, ushort ns)
    {
        Server = server;
        Engine = engine;
        Namespace = ns;
    }

    public OpcUaServer Server { get; }

    public AnalyticsEngine Engine { get; }

    public ushort Namespace { get; }

    /// <summary>Settings with a short learning period, so a test needs few samples.</summary>
    public static AnalyticsOptions Options() => new()
    {
        Sources = [new AnalyticsEndpointOptions { Url = "opc.tcp://127.0.0.1:4840/freeopcua/server/" }],
        Detector = new ScalarDetectorOptions { LearningSamples = 50 },
    };

    public static TestEngine Create(AnalyticsOptions? options = null)
    {
        options ??= Options();
        var server = new OpcUaServer(new OpcUaServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            HostName = "127.0.0.1",
            EndpointPath = "/thermalplant/analytics/",
            ApplicationUri = AnalyticsOptions.ApplicationUri,
        });
        var ns = server.AddressSpace.RegisterNamespace(options.NamespaceUri);
        var engine = new AnalyticsEngine(new AnalyticsNodes(server.AddressSpace, ns), () => ScalarDetectors.Create(options.DetectorName, options.Detector),
            Microsoft.Extensions.Options.Options.Create(options), TimeProvider.System, NullLogger<AnalyticsEngine>.Instance);
        return new TestEngine(server, engine, ns);
    }

    public const string Endpoint = "opc.tcp://127.0.0.1:4840/freeopcua/server/";

    public AnalyzedTag Tag(string path) => Engine.Register(Endpoint, new FoundVariable(NodeId.Of(path.Replace('/', '.'), 2), path))
        ?? throw new InvalidOperationException($"{path} is taken by another endpoint");

    /// <summary>Scores one value per tag at <paramref name="time"/>.</summary>
    public void Score(DateTime time, params (AnalyzedTag Tag, double Value)[] values) =>
        Engine.Score([.. values.Select(v => new TagValue(v.Tag, new DataValue { Value = Variant.From(v.Value), SourceTimestamp = time }))]);

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
