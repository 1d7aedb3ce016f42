using System.Net.Http.Json;
using System.Text.Json;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Testing;

namespace ThermalPlant.OpcServer.Tests;

/// <summary>The OPC UA server service over the real sensors service behind real nginx.</summary>
public sealed class PlantServerTests : IAsyncLifetime
{
    private PlantStack _stack = null!;
    private OpcUaClient _client = null!;
    private ushort _ns;

    public async Task InitializeAsync()
    {
        _stack = await PlantStack.StartAsync();
        _client = await ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        if (_client is not null) await _client.DisposeAsync();
        if (_stack is not null) await _stack.DisposeAsync();
    }

    [Fact]
    public async Task The_seed_tree_appears_with_units_ranges_history_and_live_values()
    {
        var paths = await TreeAsync();
        Assert.Contains("Temperature/Upper", paths);
        Assert.Contains("Temperature/Lower", paths);
        Assert.Contains("RPM/MainShaft", paths);
        Assert.Contains("Voltage/MainSupply", paths);
        Assert.Contains("Audio/MFCC/Coefficient_0", paths);
        Assert.Contains("Audio/Spectrum/Band_0", paths);
        Assert.Contains("Audio/Level", paths);

        var upper = Node("Plant.Temperature.Upper");
        await WaitForAsync(async () => (await _client.ReadValueAsync(upper)).Status.IsGood, "a Good temperature");
        var attributes = await _client.ReadAsync(
        [
            new ReadValueId { NodeId = upper, AttributeId = (uint)AttributeId.Value },
            new ReadValueId { NodeId = upper, AttributeId = (uint)AttributeId.DataType },
            new ReadValueId { NodeId = upper, AttributeId = (uint)AttributeId.AccessLevel },
            new ReadValueId { NodeId = upper, AttributeId = (uint)AttributeId.Historizing },
            new ReadValueId { NodeId = Node("Plant.Temperature.Upper.EURange"), AttributeId = (uint)AttributeId.Value },
            new ReadValueId { NodeId = Node("Plant.Temperature.Upper.EngineeringUnits"), AttributeId = (uint)AttributeId.Value },
            new ReadValueId { NodeId = upper, AttributeId = (uint)AttributeId.Description },
        ]);
        Assert.IsType<double>(attributes[0].Value!.Value);
        Assert.True(attributes[0].SourceTimestamp > DateTime.UtcNow.AddMinutes(-1));
        Assert.Equal(NodeId.Of(DataTypeIds.Double), attributes[1].Value!.Value);
        Assert.Equal((byte)0x05, attributes[2].Value!.Value);
        Assert.Equal(true, attributes[3].Value!.Value);
        var range = Assert.IsType<OpcUa.Generated.Range>(((ExtensionObject)attributes[4].Value!.Value!).Decode());
        Assert.Equal(-200, range.Low);
        Assert.Equal(1350, range.High);
        var units = Assert.IsType<EUInformation>(((ExtensionObject)attributes[5].Value!.Value!).Decode());
        Assert.Equal(('C' << 16) | ('E' << 8) | 'L', units.UnitId);
        Assert.Equal("degC", units.DisplayName.Text);
        Assert.Contains("thermocouple", ((LocalizedText)attributes[6].Value!.Value!).Text, StringComparison.Ordinal);

        var refused = await _client.WriteValueAsync(upper, Variant.From(1.0));
        Assert.Equal(StatusCodes.BadNotWritable, refused.Code);

        // Waits for two samples (a fixed five polls were too few when a loaded machine delayed the polls).
        await WaitForAsync(async () => (await _client.HistoryReadRawAsync(upper, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow)).Length >= 2, "two history values");
        var history = await _client.HistoryReadRawAsync(upper, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow);
        Assert.True(history.Length >= 2, $"{history.Length} history values");
        Assert.All(history.Zip(history.Skip(1)), pair => Assert.True(pair.Second.SourceTimestamp > pair.First.SourceTimestamp));
    }

    [Fact]
    public async Task Values_turn_bad_when_the_sensors_service_stops_and_good_when_it_returns()
    {
        var upper = Node("Plant.Temperature.Upper");
        await WaitForAsync(async () => (await _client.ReadValueAsync(upper)).Status.IsGood, "a Good temperature");
        var lastGood = await _client.ReadValueAsync(upper);

        await _stack.StopSensorsAsync();
        var stopped = DateTime.UtcNow;
        await WaitForAsync(async () => (await _client.ReadValueAsync(upper)).Status.Code == StatusCodes.BadCommunicationError, "BadCommunicationError");
        var bad = await _client.ReadValueAsync(upper);
        // The server stamps the change when its poll fails: that is what must be within two polls, not this test's polling.
        var turnedBad = bad.ServerTimestamp!.Value - stopped;
        Assert.True(turnedBad < _stack.PollInterval * 2 + TimeSpan.FromSeconds(1), $"Bad after {turnedBad}");
        Assert.True(bad.SourceTimestamp >= lastGood.SourceTimestamp, "the last value's timestamp is kept");

        await _stack.StartSensorsAsync();
        await WaitForAsync(async () => (await _client.ReadValueAsync(upper)).Status.IsGood, "Good again");
    }

    [Fact]
    public async Task A_catalog_change_appears_as_nodes_without_a_restart()
    {
        using var http = new HttpClient { BaseAddress = _stack.SensorsAddress };
        var response = await http.PutAsJsonAsync("/audio/settings", new { sample_duration = 1.0, mfcc_count = 13, buffer_size = 3 });
        response.EnsureSuccessStatusCode();

        await WaitForAsync(async () => (await CoefficientsAsync()).Count == 13, "13 MFCC coefficients");
        Assert.Equal(Enumerable.Range(0, 13).Select(i => $"Coefficient_{i}"), (await CoefficientsAsync()).Order(StringComparer.Ordinal).OrderBy(n => n.Length));
        await WaitForAsync(async () => (await _client.ReadValueAsync(Node("Plant.Audio.MFCC.Coefficient_12"))).Status.IsGood, "a Good coefficient");
        Assert.Equal(StatusCodes.BadNodeIdUnknown, (await _client.ReadValueAsync(Node("Plant.Audio.MFCC.Coefficient_13"))).Status.Code);
    }

    [Fact]
    public async Task History_survives_a_restart_of_the_server()
    {
        var upper = Node("Plant.Temperature.Upper");
        // Waits for history to exist (a fixed ten polls could pass before the first sample on a loaded machine).
        await WaitForAsync(async () => (await _client.HistoryReadRawAsync(upper, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow)).Length > 0, "a history value");
        var before = await _client.HistoryReadRawAsync(upper, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow);
        Assert.NotEmpty(before);
        await _client.DisposeAsync();
        // The file is flushed every second; a clean stop flushes it too.
        await _stack.StopOpcServerAsync();
        await _stack.StartOpcServerAsync();
        _client = await ConnectAsync();

        var after = await _client.HistoryReadRawAsync(upper, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow);
        Assert.Contains(after, v => v.SourceTimestamp == before[0].SourceTimestamp && Equals(v.Value!.Value, before[0].Value!.Value));
    }

    [Fact]
    public async Task Subscribed_clients_see_every_new_sample()
    {
        await WaitForAsync(async () => (await _client.ReadValueAsync(Node("Plant.Temperature.Upper"))).Status.IsGood, "a Good temperature");
        // An HMI that wants values within the poll interval may ask for a short publishing interval (default floor 10 ms).
        await using var subscription = await _client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = 10 });
        Assert.Equal(10, subscription.RevisedPublishingInterval);
        await subscription.AddAsync([new MonitoredItemRequest(Node("Plant.Temperature.Upper")) { SamplingInterval = 0 }]);
        // A poll that misses its interval on a loaded machine turns the value Bad for a moment, with the same sample's
        // timestamp; the Good samples themselves arrive in order. At a 300 ms poll five of them take 1.5 s on a quiet
        // machine; the deadline only bounds a run on a loaded one.
        var samples = new List<DataChange>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await foreach (var change in subscription.ReadAllAsync(stop.Token))
            {
                if (change.Value.Status.IsGood) samples.Add(change);
                if (samples.Count == 5) break;
            }
        }
        catch (OperationCanceledException)
        {
        }
        Assert.True(samples.Count == 5, $"{samples.Count} samples in 20 s");
        Assert.All(samples.Zip(samples.Skip(1)), pair => Assert.True(pair.Second.Value.SourceTimestamp > pair.First.Value.SourceTimestamp));
    }

    [Fact]
    public async Task Node_opcua_browses_reads_subscribes_and_reads_history_of_the_plant()
    {
        var script = NodeOpcUa.Script("client-plant.mjs");
        await WaitForAsync(async () => (await _client.ReadValueAsync(Node("Plant.Temperature.Upper"))).Status.IsGood, "a Good temperature");

        // 5 s of subscription for the 3 changes required: about 10 come at the sensors' 2 per second, so a loaded machine's
        // slower sampling and polling still leaves room.
        var (exit, output) = await ManagedProcess.RunAsync("node", [script, _stack.OpcUrl, "urn:thermalplant:plant", "5"], TimeSpan.FromSeconds(90), Path.GetDirectoryName(script));
        Assert.True(exit == 0, output);
        using var doc = JsonDocument.Parse(output.Split('\n').Last(line => line.StartsWith('{')));
        var root = doc.RootElement;
        Assert.False(root.TryGetProperty("error", out var error), error.ToString());
        var variables = root.GetProperty("variables").EnumerateArray().ToList();
        var paths = variables.Select(v => v.GetProperty("path").GetString()).ToList();
        Assert.Contains("Plant/Temperature/Upper", paths);
        Assert.Contains("Plant/Audio/Spectrum/Band_0", paths);
        // Properties (EURange, EngineeringUnits) are in namespace 0 and not walked; every plant value is a Double.
        var values = variables.Where(v => !v.GetProperty("path").GetString()!.EndsWith("EURange", StringComparison.Ordinal) && !v.GetProperty("path").GetString()!.EndsWith("EngineeringUnits", StringComparison.Ordinal)).ToList();
        Assert.True(values.Count > 20, $"{values.Count} variables");
        Assert.All(values, v =>
        {
            Assert.Equal("ns=0;i=11", v.GetProperty("dataType").GetString());
            Assert.Equal(5, v.GetProperty("accessLevel").GetInt32());
            Assert.True(v.GetProperty("historizing").GetBoolean());
        });
        Assert.Contains(values, v => v.GetProperty("status").GetString() == "Good" && v.GetProperty("value").ValueKind == JsonValueKind.Number);
        Assert.True(root.GetProperty("changes").GetInt32() >= 3, output);
        Assert.True(root.GetProperty("history").GetInt32() >= 3, output);
    }

    [Fact]
    public async Task The_service_offers_each_policy_signed_and_encrypted_and_serves_a_trusted_client_over_them()
    {
        var endpoints = await _client.GetEndpointsAsync();
        Assert.Equal(7, endpoints.Length);
        Assert.Contains(endpoints, e => e.SecurityMode == MessageSecurityMode.None);
        Assert.Equal(6, endpoints.Count(e => e.SecurityMode is MessageSecurityMode.Sign or MessageSecurityMode.SignAndEncrypt && e.ServerCertificate is { Length: > 0 }));

        var clientStore = new CertificateStore(Path.Combine(_stack.CertificateStorePath, "..", "client-pki"));
        clientStore.AddTrusted(ApplicationCertificates.FromByteString(endpoints.First(e => e.SecurityMode == MessageSecurityMode.SignAndEncrypt).ServerCertificate));
        var options = new OpcUaClientOptions { SecurityPolicyUri = SecurityPolicyUris.Aes256Sha256RsaPss, SecurityMode = MessageSecurityMode.SignAndEncrypt, CertificateStorePath = clientStore.Path };
        using (var own = clientStore.LoadOrCreateApplicationCertificate(options.ApplicationUri, options.ApplicationName, ["localhost"], TimeProvider.System, TimeSpan.FromDays(1)))
        {
            new CertificateStore(_stack.CertificateStorePath).AddTrusted(own);
        }
        await using var secured = await OpcUaClient.ConnectAsync(_stack.OpcUrl, options);
        await secured.OpenSessionAsync("secured");
        await WaitForAsync(async () => (await secured.ReadValueAsync(Node("Plant.Temperature.Upper"))).Status.IsGood, "a Good temperature over SignAndEncrypt");
    }

    private async Task<OpcUaClient> ConnectAsync()
    {
        var client = await OpcUaClient.ConnectAsync(_stack.OpcUrl);
        await client.OpenSessionAsync("opcserver-tests");
        var namespaces = (string[])(await client.ReadValueAsync(NodeId.Of(VariableIds.Server_NamespaceArray))).Value!.Value!;
        _ns = (ushort)Array.IndexOf(namespaces, "urn:thermalplant:plant");
        return client;
    }

    private NodeId Node(string id) => NodeId.Of(id, _ns);

    private async Task<List<string>> CoefficientsAsync() =>
        [.. (await _client.BrowseAsync(Node("Plant.Audio.MFCC"))).Where(r => r.NodeClass == NodeClass.Variable).Select(r => r.BrowseName.Name!)];

    private async Task<HashSet<string>> TreeAsync()
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<(NodeId Id, string Path)>([(Node("Plant"), "")]);
        while (queue.TryDequeue(out var current))
        {
            foreach (var reference in await _client.BrowseAsync(current.Id, NodeId.Of(ReferenceTypeIds.HierarchicalReferences)))
            {
                if (reference.BrowseName.NamespaceIndex == 0) continue;
                var path = current.Path.Length == 0 ? reference.BrowseName.Name! : $"{current.Path}/{reference.BrowseName.Name}";
                paths.Add(path);
                if (reference.NodeClass == NodeClass.Object) queue.Enqueue((reference.NodeId.NodeId, path));
            }
        }
        return paths;
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(50);
        }
        Assert.Fail($"timed out waiting for {what}");
    }
}
