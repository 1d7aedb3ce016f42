using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.Interop.Tests;

/// <summary>Our client against open62541's server (bench/open62541/server.c serving the bench tree): browse, read, write, subscribe, a secured channel.</summary>
public sealed class Open62541ServerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("thermalplant-interop-open62541-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Our_client_browses_reads_and_writes_an_open62541_server()
    {
        // Values are renewed once an hour: what the test writes stays.
        var (server, url) = await Open62541.StartServerAsync(variables: 12, updateMs: 3_600_000);
        await using var _ = server;
        await using var client = await OpcUaClient.ConnectAsync(url);
        var endpoints = await client.GetEndpointsAsync();
        Assert.Contains(endpoints, e => e.SecurityMode == MessageSecurityMode.None);
        await client.OpenSessionAsync("thermalplant-open62541");

        var objects = await client.BrowseAsync(NodeId.Of(ObjectIds.ObjectsFolder));
        Assert.Contains(objects, r => r.BrowseName.Name == "Server");
        var plant = objects.Single(r => r.BrowseName.Name == "Plant").NodeId.NodeId;
        var bench = Assert.Single(await client.BrowseAsync(plant)).NodeId.NodeId;
        Assert.Equal("Plant.Bench", bench.Text);
        // Pages of 5 references: BrowseNext against open62541's continuation points.
        var variables = await client.BrowseAsync(bench, maxReferencesPerCall: 5);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"Var_{i:D4}"), variables.Select(r => r.BrowseName.Name!).Order(StringComparer.Ordinal));
        Assert.All(variables, r => Assert.Equal(NodeClass.Variable, r.NodeClass));

        var ns = bench.NamespaceIndex;
        var values = await client.ReadAsync(
        [
            new ReadValueId { NodeId = NodeId.Of("Plant.Bench.Var_0003", ns), AttributeId = (uint)AttributeId.Value },
            new ReadValueId { NodeId = NodeId.Of("Plant.Bench.Var_0003", ns), AttributeId = (uint)AttributeId.DataType },
            new ReadValueId { NodeId = NodeId.Of("Plant.Bench.Missing", ns), AttributeId = (uint)AttributeId.Value },
            new ReadValueId { NodeId = NodeId.Of(VariableIds.Server_ServerStatus_State), AttributeId = (uint)AttributeId.Value },
        ]);
        // The bench tree's waveform as the server starts (tick 0): sin(index).
        Assert.Equal(Math.Sin(3), (double)values[0].Value.Value!, 12);
        Assert.NotNull(values[0].SourceTimestamp);
        Assert.Equal(NodeId.Of(DataTypeIds.Double), values[1].Value.Value);
        Assert.Equal(StatusCodes.BadNodeIdUnknown, values[2].Status.Code);
        Assert.Equal(0, values[3].Value.Value);

        var target = NodeId.Of("Plant.Bench.Var_0007", ns);
        Assert.True((await client.WriteValueAsync(target, Variant.From(42.25))).IsGood);
        Assert.Equal(42.25, (await client.ReadValueAsync(target)).Value.Value);
        Assert.Equal(StatusCodes.BadTypeMismatch, (await client.WriteValueAsync(target, Variant.From("not a number"))).Code);
        await client.CloseAsync();
    }

    [Fact]
    public async Task Our_client_subscribes_to_an_open62541_server_and_receives_each_renewal()
    {
        var (server, url) = await Open62541.StartServerAsync(variables: 4, updateMs: 100);
        await using var _ = server;
        await using var client = await OpcUaClient.ConnectAsync(url);
        await client.OpenSessionAsync("thermalplant-open62541-subscribe");
        var bench = (await client.BrowseAsync(NodeId.Of(ObjectIds.ObjectsFolder))).Single(r => r.BrowseName.Name == "Plant").NodeId.NodeId;
        var ns = bench.NamespaceIndex;
        await using var subscription = await client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = 100, MaxKeepAliveCount = 10 });
        var items = await subscription.AddAsync([.. Enumerable.Range(0, 4).Select(i => new MonitoredItemRequest(NodeId.Of($"Plant.Bench.Var_{i:D4}", ns)) { SamplingInterval = 0, QueueSize = 10 })]);
        Assert.All(items, item => Assert.True(item.Status.IsGood, item.Status.ToString()));

        var changes = new List<DataChange>();
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3)))
        {
            try
            {
                await foreach (var change in subscription.ReadAllAsync(stop.Token)) changes.Add(change);
            }
            catch (OperationCanceledException)
            {
            }
        }
        // 4 items renewed every 100 ms for 3 s is 120 changes; a loaded machine may delay some, none is invented.
        Assert.True(changes.Count >= 40, $"{changes.Count} changes of 4 items renewed every 100 ms in 3 s");
        foreach (var item in items)
        {
            var mine = changes.Where(c => c.Item == item).Select(c => c.Value.SourceTimestamp!.Value).ToList();
            Assert.True(mine.Count >= 10, $"{mine.Count} changes of {item.Node}");
            Assert.Equal(mine.Order(), mine);
        }
        Assert.All(changes, c => Assert.True(c.Value.Status.IsGood));
    }

    [Fact]
    public async Task Our_client_reads_an_open62541_server_over_Basic256Sha256_SignAndEncrypt()
    {
        var serverCertificate = Path.Combine(_directory, "open62541.der");
        var (server, url) = await Open62541.StartServerAsync(variables: 3, updateMs: 3_600_000, serverCertificate);
        await using var _ = server;
        var store = new CertificateStore(Path.Combine(_directory, "client"));
        var options = new OpcUaClientOptions
        {
            ApplicationUri = "urn:thermalplant:interop:client",
            CertificateStorePath = store.Path,
            SecurityPolicyUri = SecurityPolicyUris.Basic256Sha256,
            SecurityMode = MessageSecurityMode.SignAndEncrypt,
        };
        // Untrusted, the server's certificate is refused; trusted (what an administrator does), the channel opens.
        await Assert.ThrowsAnyAsync<Exception>(() => OpcUaClient.ConnectAsync(url, options));
        store.AddTrusted(X509CertificateLoader.LoadCertificateFromFile(serverCertificate));
        await using var client = await OpcUaClient.ConnectAsync(url, options);
        Assert.Equal((SecurityPolicyUris.Basic256Sha256, MessageSecurityMode.SignAndEncrypt), (client.Endpoint.SecurityPolicyUri, client.Endpoint.SecurityMode));
        await client.OpenSessionAsync("thermalplant-open62541-secure");
        var plant = (await client.BrowseAsync(NodeId.Of(ObjectIds.ObjectsFolder))).Single(r => r.BrowseName.Name == "Plant").NodeId.NodeId;
        var value = await client.ReadValueAsync(NodeId.Of("Plant.Bench.Var_0002", plant.NamespaceIndex));
        Assert.Equal(Math.Sin(2), (double)value.Value.Value!, 12);
        await client.CloseAsync();
    }
}
