using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Testing;

namespace ThermalPlant.OpcUa.Tests.Users;

/// <summary>Our client logs in to our server with user names, passwords and user certificates, and roles decide what it may do.</summary>
public sealed class UserAuthenticationTests : IAsyncLifetime
{
    private static readonly X509Certificate2 ServerCertificate = TestCertificates.Create("server", "urn:thermalplant:opcserver");
    private static readonly X509Certificate2 EngineerCertificate = TestCertificates.Create("engineer");
    private static readonly string OperatorHash = PasswordHash.Create("op-pass", PasswordHash.MinIterations);
    private static readonly string ObserverHash = PasswordHash.Create("obs-pass", PasswordHash.MinIterations);

    private static readonly OpcUaClientOptions FastOptions = new()
    {
        RequestTimeout = TimeSpan.FromSeconds(5),
        KeepAliveInterval = TimeSpan.FromMilliseconds(200),
        ReconnectMinDelay = TimeSpan.FromMilliseconds(100),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(400),
    };

    private readonly ConcurrentQueue<AccessDenied> _denied = new();
    private OpcUaServer _server = null!;
    private NodeId _setpoint = NodeId.Null;
    private NodeId _temperature = NodeId.Null;

    private string Url => $"opc.tcp://127.0.0.1:{_server.Port}/freeopcua/server/";

    public Task InitializeAsync()
    {
        _server = StartServer(Users());
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_endpoint_offers_anonymous_user_name_and_certificate_policies_that_encrypt_with_Basic256Sha256()
    {
        await using var client = await OpcUaClient.ConnectAsync(Url, FastOptions);

        var policies = client.Endpoint.UserIdentityTokens!;
        Assert.Equal([UserTokenType.Anonymous, UserTokenType.UserName, UserTokenType.Certificate], policies.Select(p => p.TokenType));
        Assert.All(policies.Skip(1), p => Assert.Equal(SecurityPolicyUris.Basic256Sha256, p.SecurityPolicyUri));
        Assert.Equal(ServerCertificate.RawData, client.Endpoint.ServerCertificate);
    }

    [Fact]
    public async Task An_operator_logs_in_with_a_password_and_writes()
    {
        await using var client = await Connect(UserCredentials.FromUserName("operator", "op-pass"));

        Assert.Equal(StatusCode.Good, await client.WriteValueAsync(_setpoint, Variant.From(42.0)));
        Assert.Equal(42.0, (await client.ReadValueAsync(_setpoint)).Value!.Value);
        // A read-only variable stays read-only for every role.
        Assert.Equal(StatusCodes.BadNotWritable, (await client.WriteValueAsync(_temperature, Variant.From(1.0))).Code);
        Assert.NotEmpty(await client.HistoryReadRawAsync(_temperature, DateTime.UtcNow.AddHours(-1), DateTime.UtcNow.AddHours(1)));
        await using var subscription = await client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = 50 });
        Assert.True(subscription.Id > 0);
        Assert.Empty(_denied);
    }

    [Fact]
    public async Task A_wrong_password_and_an_unknown_user_are_refused_with_BadUserAccessDenied_and_logged()
    {
        await using var wrong = await OpcUaClient.ConnectAsync(Url, FastOptions with { Credentials = UserCredentials.FromUserName("operator", "nope") });
        var error = await Assert.ThrowsAsync<OpcUaException>(() => wrong.OpenSessionAsync("wrong"));
        Assert.Equal(StatusCodes.BadUserAccessDenied, error.Status.Code);

        await using var unknown = await OpcUaClient.ConnectAsync(Url, FastOptions with { Credentials = UserCredentials.FromUserName("mallory", "op-pass") });
        Assert.Equal(StatusCodes.BadUserAccessDenied, (await Assert.ThrowsAsync<OpcUaException>(() => unknown.OpenSessionAsync("unknown"))).Status.Code);

        var reasons = _denied.ToArray();
        Assert.Equal(2, reasons.Length);
        Assert.All(reasons, r => Assert.Equal("ActivateSession", r.Service));
        Assert.Equal(("operator", "wrong password"), (reasons[0].UserName, reasons[0].Reason.Split(": ")[1]));
        Assert.Equal(("mallory", "unknown user name"), (reasons[1].UserName, reasons[1].Reason.Split(": ")[1]));
        Assert.DoesNotContain(reasons, r => r.Reason.Contains("nope", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_anonymous_session_browses_and_reads_but_may_not_write_subscribe_or_read_history()
    {
        await using var client = await Connect(UserCredentials.Anonymous);

        Assert.NotEmpty(await client.BrowseAsync(NodeId.Of(ObjectIds.ObjectsFolder)));
        Assert.Equal(21.5, (await client.ReadValueAsync(_temperature)).Value!.Value);
        Assert.Equal(StatusCodes.BadUserAccessDenied, (await client.WriteValueAsync(_setpoint, Variant.From(1.0))).Code);
        Assert.Equal(StatusCodes.BadUserAccessDenied, (await Assert.ThrowsAsync<OpcUaException>(() => client.CreateSubscriptionAsync())).Status.Code);
        Assert.Equal(StatusCodes.BadUserAccessDenied, (await Assert.ThrowsAsync<OpcUaException>(() => client.HistoryReadRawAsync(_temperature, DateTime.UtcNow.AddHours(-1), DateTime.UtcNow))).Status.Code);

        Assert.Equal(["Write", "CreateSubscription", "HistoryRead"], _denied.Select(d => d.Service));
        Assert.All(_denied, d => Assert.Equal(("Anonymous", (string?)null), (d.Role, d.UserName)));
        Assert.Contains("Write permission", _denied.First().Reason, StringComparison.Ordinal);
        Assert.Equal([[_setpoint], null, [_temperature]], _denied.Select(d => d.Nodes));
    }

    [Theory]
    [InlineData(null, 0x01, 0x01)]
    [InlineData("observer", 0x01, 0x05)]
    [InlineData("operator", 0x03, 0x05)]
    public async Task UserAccessLevel_is_the_AccessLevel_less_what_the_role_may_not_do(string? user, byte setpoint, byte temperature)
    {
        var credentials = user switch
        {
            null => UserCredentials.Anonymous,
            "observer" => UserCredentials.FromUserName("observer", "obs-pass"),
            _ => UserCredentials.FromUserName("operator", "op-pass"),
        };
        await using var client = await Connect(credentials);

        var read = await client.ReadAsync(
        [
            Attribute(_setpoint, AttributeId.AccessLevel), Attribute(_setpoint, AttributeId.UserAccessLevel),
            Attribute(_temperature, AttributeId.AccessLevel), Attribute(_temperature, AttributeId.UserAccessLevel),
        ]);

        Assert.Equal([0x03, setpoint, 0x05, temperature], read.Select(v => (byte)v.Value.Value!));
    }

    [Fact]
    public async Task An_observer_subscribes_and_reads_history_but_may_not_write()
    {
        await using var client = await Connect(UserCredentials.FromUserName("observer", "obs-pass"));

        await using var subscription = await client.CreateSubscriptionAsync(new SubscriptionSettings { PublishingInterval = 50 });
        var items = await subscription.AddAsync([new MonitoredItemRequest(_temperature)]);
        Assert.True(items[0].Status.IsGood);
        Assert.NotEmpty(await client.HistoryReadRawAsync(_temperature, DateTime.UtcNow.AddHours(-1), DateTime.UtcNow.AddHours(1)));
        Assert.Equal(StatusCodes.BadUserAccessDenied, (await client.WriteValueAsync(_setpoint, Variant.From(1.0))).Code);
    }

    [Fact]
    public async Task An_engineer_logs_in_with_a_user_certificate()
    {
        await using var client = await Connect(UserCredentials.FromCertificate(EngineerCertificate));

        Assert.Equal(StatusCode.Good, await client.WriteValueAsync(_setpoint, Variant.From(7.0)));
    }

    [Fact]
    public async Task An_unknown_user_certificate_is_rejected()
    {
        using var stranger = TestCertificates.Create("stranger");
        await using var client = await OpcUaClient.ConnectAsync(Url, FastOptions with { Credentials = UserCredentials.FromCertificate(stranger) });

        Assert.Equal(StatusCodes.BadIdentityTokenRejected, (await Assert.ThrowsAsync<OpcUaException>(() => client.OpenSessionAsync("stranger"))).Status.Code);
    }

    [Fact]
    public async Task Without_anonymous_access_an_anonymous_session_is_rejected()
    {
        await _server.DisposeAsync();
        _server = StartServer(Users() with { AllowAnonymous = false });
        await using var client = await OpcUaClient.ConnectAsync(Url, FastOptions);

        Assert.DoesNotContain(client.Endpoint.UserIdentityTokens!, p => p.TokenType == UserTokenType.Anonymous);
        Assert.Equal(StatusCodes.BadIdentityTokenRejected, (await Assert.ThrowsAsync<OpcUaException>(() => client.OpenSessionAsync("anonymous"))).Status.Code);
    }

    [Theory]
    [InlineData(SecurityPolicyUris.Aes128Sha256RsaOaep)]
    [InlineData(SecurityPolicyUris.Aes256Sha256RsaPss)]
    public async Task Passwords_and_certificates_follow_the_configured_user_token_policy(string policy)
    {
        await _server.DisposeAsync();
        _server = StartServer(Users() with { UserTokenSecurityPolicyUri = policy });

        await using var byPassword = await Connect(UserCredentials.FromUserName("operator", "op-pass"));
        await using var byCertificate = await Connect(UserCredentials.FromCertificate(EngineerCertificate));
        Assert.All(byPassword.Endpoint.UserIdentityTokens!.Skip(1), p => Assert.Equal(policy, p.SecurityPolicyUri));
        Assert.Equal(StatusCode.Good, await byCertificate.WriteValueAsync(_setpoint, Variant.From(3.0)));
    }

    [Fact]
    public async Task A_reconnected_client_reactivates_its_session_as_the_same_user()
    {
        await using var relay = new TcpRelay(_server.Port);
        var url = $"opc.tcp://127.0.0.1:{relay.Port}/freeopcua/server/";
        await using var client = await OpcUaClient.ConnectAsync(url, FastOptions with { Credentials = UserCredentials.FromUserName("operator", "op-pass") });
        await client.OpenSessionAsync("reconnect");
        var sessionId = client.SessionId;
        var reconnected = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Reconnected += recreated => reconnected.TrySetResult(recreated);

        relay.Cut();

        Assert.False(await reconnected.Task.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(sessionId, client.SessionId);
        Assert.Equal(StatusCode.Good, await client.WriteValueAsync(_setpoint, Variant.From(5.0)));
        Assert.Empty(_denied);
    }

    [Fact]
    public async Task Users_without_a_configured_certificate_log_in_with_one_made_for_the_server()
    {
        await using var server = new OpcUaServer(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1", Users = Users() });
        server.Start();
        await using var client = await OpcUaClient.ConnectAsync($"opc.tcp://127.0.0.1:{server.Port}/freeopcua/server/", FastOptions with { Credentials = UserCredentials.FromUserName("operator", "op-pass") });
        Assert.NotEmpty(client.Endpoint.ServerCertificate!);
        await client.OpenSessionAsync("made-certificate");
        Assert.True((await client.ReadValueAsync(NodeId.Of(VariableIds.Server_ServerStatus_State))).Status.IsGood);
    }

    [Fact]
    public void Users_with_an_unknown_role_or_a_malformed_hash_fail_at_construction()
    {
        Assert.Throws<ArgumentException>(() => new OpcUaServer(new OpcUaServerOptions { Port = 0, ApplicationCertificate = ServerCertificate, Users = Users() with { Users = [new UserAccount { Name = "x", Role = "Admin", PasswordHash = OperatorHash }] } }));
        Assert.Throws<ArgumentException>(() => new OpcUaServer(new OpcUaServerOptions { Port = 0, ApplicationCertificate = ServerCertificate, Users = Users() with { Users = [new UserAccount { Name = "x", Role = "Operator", PasswordHash = "secret" }] } }));
    }

    private static ReadValueId Attribute(NodeId node, AttributeId attribute) => new() { NodeId = node, AttributeId = (uint)attribute };

    private static UserAuthenticationOptions Users() => new()
    {
        Users =
        [
            new UserAccount { Name = "operator", Role = "Operator", PasswordHash = OperatorHash },
            new UserAccount { Name = "observer", Role = "Observer", PasswordHash = ObserverHash },
            new UserAccount { Name = "engineer", Role = "Engineer", CertificateThumbprint = EngineerCertificate.GetCertHashString(HashAlgorithmName.SHA256) },
        ],
    };

    private async Task<OpcUaClient> Connect(UserCredentials credentials)
    {
        var client = await OpcUaClient.ConnectAsync(Url, FastOptions with { Credentials = credentials });
        try
        {
            await client.OpenSessionAsync("users");
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    private OpcUaServer StartServer(UserAuthenticationOptions users)
    {
        var server = new OpcUaServer(new OpcUaServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            HostName = "127.0.0.1",
            ApplicationCertificate = ServerCertificate,
            Users = users,
        });
        server.AccessDenied += _denied.Enqueue;
        var ns = server.AddressSpace.RegisterNamespace("urn:thermalplant:plant");
        var objects = NodeId.Of(ObjectIds.ObjectsFolder);
        _temperature = NodeId.Of("Plant.Temperature", ns);
        _setpoint = NodeId.Of("Plant.Setpoint", ns);
        server.AddressSpace.AddVariable(objects, new UaVariable(_temperature, new QualifiedName(ns, "Temperature"), "Temperature", NodeId.Of(DataTypeIds.Double)) { Historizing = true, AccessLevel = 0x05 })
            .SetValue(new DataValue { Value = Variant.From(21.5), SourceTimestamp = DateTime.UtcNow });
        server.AddressSpace.AddVariable(objects, new UaVariable(_setpoint, new QualifiedName(ns, "Setpoint"), "Setpoint", NodeId.Of(DataTypeIds.Double)) { AccessLevel = 0x03 })
            .SetValue(new DataValue { Value = Variant.From(10.0) });
        server.Start();
        return server;
    }
}
