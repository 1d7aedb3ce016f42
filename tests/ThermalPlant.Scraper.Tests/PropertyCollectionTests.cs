using System.Net;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Scraper.Sources.OpcUa;
using ThermalPlant.Testing;

namespace ThermalPlant.Scraper.Tests;

/// <summary>
/// Properties of a foreign-looking tree (Objects/Motors/Motor1 with a Double RatedPower property, as vendors model
/// nameplate data): numeric and boolean properties are collected, the standard metadata properties are not, and
/// what is skipped is counted by type. Served by our own server library in this process.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PropertyCollectionTests(PostgresFixture postgres) : IDisposable
{
    private const string Namespace = "urn:thermalplant:test:motors";
    private readonly TempDirectory _data = new("thermalplant-scraper-");

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task Numeric_and_boolean_properties_are_collected_and_metadata_properties_are_not()
    {
        await using var server = await MotorServer.StartAsync();
        var browser = new TreeBrowser(Endpoint(server.Url, collectProperties: true));
        await using var client = await OpcUaClient.ConnectAsync(server.Url);
        await client.OpenSessionAsync("test");

        var outcome = await browser.BrowseAsync(client, CancellationToken.None);

        Assert.Equal(["motor1/enabled", "motor1/ratedpower", "motor1/speed", "motor1/speed.maxspeed"],
            outcome.Variables.Select(v => $"{v.SensorName}/{v.TagName}").Order(StringComparer.Ordinal));
        Assert.Equal(new Dictionary<string, int>(StringComparer.Ordinal) { ["String"] = 1, ["LocalizedText"] = 1 }, outcome.SkippedByType);
        Assert.Equal("LocalizedText 1, String 1", outcome.SkippedText);
        Assert.Equal(2, outcome.Skipped);
        await client.CloseAsync();
    }

    [Fact]
    public async Task With_CollectProperties_off_only_the_variables_are_collected()
    {
        await using var server = await MotorServer.StartAsync();
        var browser = new TreeBrowser(Endpoint(server.Url, collectProperties: false));
        await using var client = await OpcUaClient.ConnectAsync(server.Url);
        await client.OpenSessionAsync("test");

        var outcome = await browser.BrowseAsync(client, CancellationToken.None);

        Assert.Equal(["motor1/speed"], outcome.Variables.Select(v => $"{v.SensorName}/{v.TagName}"));
        Assert.Equal(new Dictionary<string, int>(StringComparer.Ordinal) { ["LocalizedText"] = 1 }, outcome.SkippedByType);
        await client.CloseAsync();
    }

    [Fact]
    public async Task The_scraper_stores_a_foreign_servers_rated_power_property()
    {
        Assert.NotNull(postgres.Server);
        var database = await postgres.Server.CreateDatabaseAsync();
        await using var server = await MotorServer.StartAsync();
        await using var scraper = await ScraperRun.StartAsync(database, _data.Path, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["OpcUa:Endpoints:0:Url"] = server.Url,
            ["OpcUa:Endpoints:0:Root"] = "Objects/Motors",
            ["OpcUa:Endpoints:0:PublishingInterval"] = "00:00:00.200",
        });

        await Stored.EventuallyAsync(async () => (await Stored.PerNodeAsync(database, server.Url)).Count(t => t.Value.Rows > 0) == 4, TimeSpan.FromSeconds(60),
            async () => $"stored tags: {string.Join(", ", (await Stored.PerNodeAsync(database, server.Url)).Values.Select(t => $"{t.Sensor}/{t.Tag} {t.Rows}"))}");
        Assert.Equal(4500, await Stored.CountAsync(database, "SELECT value::bigint FROM sensor_data WHERE sensorname = 'motor1' AND tagname = 'ratedpower'"));
        Assert.Equal(1, await Stored.CountAsync(database, "SELECT value::bigint FROM sensor_data WHERE sensorname = 'motor1' AND tagname = 'enabled'"));
        Assert.Equal(0, await Stored.CountAsync(database, "SELECT count(*) FROM sensor_data WHERE tagname LIKE '%valueprecision%' OR tagname LIKE '%mintimeinterval%' OR tagname LIKE '%serialnumber%'"));
        Assert.Equal(2, ScraperMetrics.SkippedVariables.WithLabels(server.Url).Value);
    }

    private static OpcUaEndpointOptions Endpoint(string url, bool collectProperties) => new()
    {
        Url = url,
        Root = "Objects/Motors",
        CollectProperties = collectProperties,
    };

    /// <summary>Objects/Motors/Motor1: a Speed variable with properties of its own, nameplate properties, and a note.</summary>
    private sealed class MotorServer : IAsyncDisposable
    {
        private readonly OpcUaServer _server;

        private MotorServer(OpcUaServer server, string url)
        {
            _server = server;
            Url = url;
        }

        public string Url { get; }

        public static Task<MotorServer> StartAsync()
        {
            var port = PeerPrograms.FreePort();
            var server = new OpcUaServer(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = port, HostName = "127.0.0.1" }, TimeProvider.System);
            var space = server.AddressSpace;
            var ns = space.RegisterNamespace(Namespace);
            var motors = space.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), NodeId.Of("Motors", ns), new QualifiedName(ns, "Motors")).NodeId;
            var motor = space.AddObject(motors, NodeId.Of("Motor1", ns), new QualifiedName(ns, "Motor1"), ReferenceTypeIds.Organizes, ObjectTypeIds.BaseObjectType).NodeId;
            var speed = Add(space, motor, ns, "Motor1.Speed", "Speed", DataTypeIds.Double, Variant.From(1480.0), ReferenceTypeIds.HasComponent).NodeId;
            Add(space, speed, ns, "Motor1.Speed.MaxSpeed", "MaxSpeed", DataTypeIds.Double, Variant.From(3000.0), ReferenceTypeIds.HasProperty);
            // Part 8's metadata property, numeric yet never a measurement, though this server names it in its own namespace.
            Add(space, speed, ns, "Motor1.Speed.ValuePrecision", "ValuePrecision", DataTypeIds.Double, Variant.From(0.1), ReferenceTypeIds.HasProperty);
            // A property the specification defines (BrowseName in namespace 0), here Part 11's, as a historizing variable has.
            Add(space, speed, ns, "Motor1.Speed.MinTimeInterval", "MinTimeInterval", DataTypeIds.Double, Variant.From(100.0), ReferenceTypeIds.HasProperty, standardName: true);
            Add(space, motor, ns, "Motor1.RatedPower", "RatedPower", DataTypeIds.Double, Variant.From(4500.0), ReferenceTypeIds.HasProperty);
            Add(space, motor, ns, "Motor1.Enabled", "Enabled", DataTypeIds.Boolean, Variant.From(true), ReferenceTypeIds.HasProperty);
            Add(space, motor, ns, "Motor1.SerialNumber", "SerialNumber", DataTypeIds.String, Variant.From("M-0042"), ReferenceTypeIds.HasProperty);
            Add(space, motor, ns, "Motor1.Notes", "Notes", DataTypeIds.LocalizedText, new Variant(BuiltInType.LocalizedText, new LocalizedText("en", "bearing replaced 2026-03")), ReferenceTypeIds.HasComponent);
            server.Start();
            return Task.FromResult(new MotorServer(server, $"opc.tcp://127.0.0.1:{port}/freeopcua/server/"));
        }

        public ValueTask DisposeAsync() => _server.DisposeAsync();

        private static UaVariable Add(UaAddressSpace space, NodeId parent, ushort ns, string id, string name, uint dataType, Variant value, uint reference, bool standardName = false)
        {
            var typeDefinition = reference == ReferenceTypeIds.HasProperty ? VariableTypeIds.PropertyType : VariableTypeIds.BaseDataVariableType;
            var browseName = new QualifiedName(standardName ? (ushort)0 : ns, name);
            var variable = space.AddVariable(parent, new UaVariable(NodeId.Of(id, ns), browseName, name, NodeId.Of(dataType)), reference, typeDefinition);
            variable.SetValue(new DataValue { Value = value, SourceTimestamp = DateTime.UtcNow.AddSeconds(-1) });
            return variable;
        }
    }
}
