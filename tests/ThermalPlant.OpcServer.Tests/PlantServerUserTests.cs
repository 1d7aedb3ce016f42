using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcServer.Tests;

/// <summary>The OPC UA server service with users and roles from its configuration, as the production profile runs it.</summary>
public sealed class PlantServerUserTests : IAsyncLifetime
{
    private PlantStack _stack = null!;

    public async Task InitializeAsync()
    {
        _stack = await PlantStack.StartAsync(
            "--OpcServer:Users:Enabled=true",
            "--OpcServer:Users:AllowAnonymous=false",
            "--OpcServer:Users:Accounts:scraper:Role=Observer",
            $"--OpcServer:Users:Accounts:scraper:PasswordHash={PasswordHash.Create("scraper-pass", PasswordHash.MinIterations)}",
            "--OpcServer:Users:Accounts:operator:Role=Operator",
            $"--OpcServer:Users:Accounts:operator:PasswordHash={PasswordHash.Create("operator-pass", PasswordHash.MinIterations)}");
    }

    public async Task DisposeAsync()
    {
        if (_stack is not null) await _stack.DisposeAsync();
    }

    [Fact]
    public async Task Anonymous_sessions_are_refused_and_the_scraper_account_subscribes_to_sensor_values()
    {
        await using (var anonymous = await OpcUaClient.ConnectAsync(_stack.OpcUrl))
        {
            Assert.NotNull(anonymous.Endpoint.ServerCertificate);
            Assert.Equal(StatusCodes.BadIdentityTokenRejected, (await Assert.ThrowsAsync<OpcUaException>(() => anonymous.OpenSessionAsync("anonymous"))).Status.Code);
        }

        await using var scraper = await Connect("scraper", "scraper-pass");
        var upper = await UpperAsync(scraper);
        await using var subscription = await scraper.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = 100 });
        await subscription.AddAsync([new MonitoredItemRequest(upper)]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var change in subscription.ReadAllAsync(timeout.Token))
        {
            if (change.Value.Status.IsGood) break;
        }
    }

    [Fact]
    public async Task Sensor_values_stay_read_only_for_an_operator()
    {
        await using var client = await Connect("operator", "operator-pass");

        Assert.Equal(StatusCodes.BadNotWritable, (await client.WriteValueAsync(await UpperAsync(client), Variant.From(1.0))).Code);
    }

    [Fact]
    public async Task A_wrong_password_is_refused()
    {
        var error = await Assert.ThrowsAsync<OpcUaException>(() => Connect("operator", "scraper-pass"));
        Assert.Equal(StatusCodes.BadUserAccessDenied, error.Status.Code);
    }

    private async Task<OpcUaClient> Connect(string user, string password)
    {
        var client = await OpcUaClient.ConnectAsync(_stack.OpcUrl, new OpcUaClientOptions { Credentials = UserCredentials.FromUserName(user, password) });
        try
        {
            await client.OpenSessionAsync("opcserver-user-tests");
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    private static async Task<NodeId> UpperAsync(OpcUaClient client)
    {
        var namespaces = (string[])(await client.ReadValueAsync(NodeId.Of(VariableIds.Server_NamespaceArray))).Value!.Value!;
        return NodeId.Of("Plant.Temperature.Upper", (ushort)Array.IndexOf(namespaces, "urn:thermalplant:plant"));
    }
}
