using System.Collections.Concurrent;
using System.Net;
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

/// <summary>
/// A session moves to a new secure channel only for the client that created it, and keeps its user there
/// (Part 4, 5.6.3); on its own channel the user may change, which is authenticated and reported.
/// </summary>
public sealed class SessionChannelTests : IAsyncLifetime
{
    private static readonly X509Certificate2 ServerCertificate = TestCertificates.Create("server", "urn:thermalplant:opcserver");
    private static readonly X509Certificate2 ClientA = TestCertificates.Create("client-a", "urn:thermalplant:test:a");
    private static readonly X509Certificate2 ClientB = TestCertificates.Create("client-b", "urn:thermalplant:test:b");
    private static readonly UserCredentials Operator = UserCredentials.FromUserName("operator", "op-pass");
    private static readonly UserCredentials Observer = UserCredentials.FromUserName("observer", "obs-pass");

    // A hash slow to check (about 0.1 s), so that a second activation arrives while the first is still being checked.
    private static readonly UserCredentials Slow = UserCredentials.FromUserName("slow", "slow-pass");
    private static readonly string SlowHash = PasswordHash.Create("slow-pass", 300_000);

    private readonly ConcurrentQueue<AccessDenied> _denied = new();
    private readonly ConcurrentQueue<IdentityChanged> _changed = new();
    private readonly List<RawSessionClient> _clients = [];
    private NodeId _setpoint = NodeId.Null;
    private OpcUaServer _server = null!;

    public Task InitializeAsync()
    {
        _server = new OpcUaServer(new OpcUaServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            HostName = "127.0.0.1",
            ApplicationCertificate = ServerCertificate,
            Security = [EndpointSecurity.None, new(SecurityPolicyUris.Basic256Sha256, MessageSecurityMode.SignAndEncrypt)],
            AutoAcceptUntrustedCertificates = true,
            Users = new UserAuthenticationOptions
            {
                Users =
                [
                    new UserAccount { Name = "operator", Role = "Operator", PasswordHash = PasswordHash.Create("op-pass", PasswordHash.MinIterations) },
                    new UserAccount { Name = "observer", Role = "Observer", PasswordHash = PasswordHash.Create("obs-pass", PasswordHash.MinIterations) },
                    new UserAccount { Name = "slow", Role = "Observer", PasswordHash = SlowHash },
                ],
            },
        });
        _server.AccessDenied += _denied.Enqueue;
        _server.IdentityChanged += _changed.Enqueue;
        var ns = _server.AddressSpace.RegisterNamespace("urn:thermalplant:plant");
        _setpoint = NodeId.Of("Plant.Setpoint", ns);
        _server.AddressSpace.AddVariable(NodeId.Of(ObjectIds.ObjectsFolder), new UaVariable(_setpoint, new QualifiedName(ns, "Setpoint"), "Setpoint", NodeId.Of(DataTypeIds.Double)) { AccessLevel = 0x03 })
            .SetValue(new DataValue { Value = Variant.From(10.0) });
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _clients) await client.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task A_session_moves_to_a_new_channel_with_the_same_client_certificate_and_leaves_the_old_one()
    {
        var (first, session) = await ActivatedSession(ClientA, Operator);
        var second = await Open(ClientA);

        Assert.Equal(0u, await second.ActivateAsync(session, Operator));

        Assert.Equal(0u, await second.WriteAsync(session, _setpoint, Variant.From(1.0)));
        Assert.Equal(StatusCodes.BadSecureChannelIdInvalid, await first.WriteAsync(session, _setpoint, Variant.From(2.0)));
        Assert.Empty(_denied);
        Assert.Empty(_changed);
    }

    [Fact]
    public async Task A_session_does_not_move_to_a_channel_of_another_client_certificate()
    {
        var (first, session) = await ActivatedSession(ClientA, Operator);
        var other = await Open(ClientB);

        Assert.Equal(StatusCodes.BadSecurityChecksFailed, await other.ActivateAsync(session, Operator));

        Assert.Equal(StatusCodes.BadSecureChannelIdInvalid, await other.WriteAsync(session, _setpoint, Variant.From(1.0)));
        Assert.Equal(0u, await first.WriteAsync(session, _setpoint, Variant.From(2.0)));
        var refusal = Assert.Single(_denied);
        Assert.Equal(("ActivateSession", "operator", "Operator", StatusCodes.BadSecurityChecksFailed), (refusal.Service, refusal.UserName, refusal.Role, refusal.Status.Code));
        Assert.Contains(ClientA.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256), refusal.Reason, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_session_created_without_security_does_not_move_to_a_secured_channel_nor_a_secured_one_to_a_channel_without()
    {
        var (_, plain) = await ActivatedSession(null, Operator);
        var (_, secured) = await ActivatedSession(ClientA, Operator);

        Assert.Equal(StatusCodes.BadSecurityChecksFailed, await (await Open(ClientA)).ActivateAsync(plain, Operator));
        Assert.Equal(StatusCodes.BadSecurityChecksFailed, await (await Open(null)).ActivateAsync(secured, Operator));
    }

    [Fact]
    public async Task The_first_activation_must_come_on_the_channel_that_created_the_session()
    {
        var session = await (await Open(ClientA)).CreateSessionAsync();

        Assert.Equal(StatusCodes.BadSecureChannelIdInvalid, await (await Open(ClientA)).ActivateAsync(session, Operator));
    }

    [Fact]
    public async Task The_user_changes_on_the_sessions_own_channel_only_and_the_change_is_reported()
    {
        var (first, session) = await ActivatedSession(ClientA, Operator);
        var second = await Open(ClientA);

        Assert.Equal(StatusCodes.BadIdentityChangeNotSupported, await second.ActivateAsync(session, Observer));
        Assert.Equal(StatusCodes.BadUserAccessDenied, await first.ActivateAsync(session, UserCredentials.FromUserName("observer", "wrong")));
        Assert.Equal(0u, await first.WriteAsync(session, _setpoint, Variant.From(1.0)));
        Assert.Empty(_changed);

        Assert.Equal(0u, await first.ActivateAsync(session, Observer));

        Assert.Equal(StatusCodes.BadUserAccessDenied, await first.WriteAsync(session, _setpoint, Variant.From(2.0)));
        Assert.Equal(new IdentityChanged("raw", "operator", "Operator", "observer", "Observer"), Assert.Single(_changed));
    }

    [Fact]
    public async Task A_session_re_activated_for_a_role_that_may_not_subscribe_loses_its_subscriptions_and_one_that_may_keeps_them()
    {
        var (client, session) = await ActivatedSession(ClientA, Operator);
        Assert.IsType<CreateSubscriptionResponse>(await client.SendAsync(new CreateSubscriptionRequest { RequestedPublishingInterval = 1000, PublishingEnabled = true }, session));

        Assert.Equal(0u, await client.ActivateAsync(session, Observer));
        Assert.Equal(1, _server.SubscriptionCount);

        Assert.Equal(0u, await client.ActivateAsync(session, UserCredentials.Anonymous));
        Assert.Equal(0, _server.SubscriptionCount);
        Assert.Equal([0, 1], _changed.Select(c => c.SubscriptionsDeleted));
    }

    [Fact]
    public async Task Of_two_activations_signed_for_the_same_nonce_exactly_one_succeeds_and_a_refused_one_leaves_the_nonce_usable()
    {
        var (client, session) = await ActivatedSession(ClientA, Operator);
        var replay = new RawSession(session.AuthenticationToken, session.Endpoints, session.Nonce);

        // Both requests are built from the same nonce before either is answered, as a replayed request would be.
        var results = await Task.WhenAll(client.ActivateAsync(session, Slow), client.ActivateAsync(replay, Slow));

        Assert.Single(results, r => r == 0);
        Assert.Single(results, r => r != 0);

        // A refusal gives the nonce back: the client may try again with it.
        var fresh = new RawSession(session.AuthenticationToken, session.Endpoints, results[0] == 0 ? session.Nonce : replay.Nonce);
        Assert.Equal(StatusCodes.BadUserAccessDenied, await client.ActivateAsync(fresh, UserCredentials.FromUserName("operator", "wrong")));
        Assert.Equal(0u, await client.ActivateAsync(fresh, Operator));
    }

    [Fact]
    public async Task A_subscription_moves_only_to_a_session_of_the_same_user()
    {
        var (first, owner) = await ActivatedSession(ClientA, Operator);
        var created = Assert.IsType<CreateSubscriptionResponse>(await first.SendAsync(new CreateSubscriptionRequest { RequestedPublishingInterval = 1000, PublishingEnabled = true }, owner));
        var (second, observer) = await ActivatedSession(ClientA, Observer);
        var (third, sameUser) = await ActivatedSession(ClientB, Operator);
        var transfer = new TransferSubscriptionsRequest { SubscriptionIds = [created.SubscriptionId] };

        var refused = Assert.IsType<TransferSubscriptionsResponse>(await second.SendAsync(transfer, observer));
        var moved = Assert.IsType<TransferSubscriptionsResponse>(await third.SendAsync(transfer, sameUser));

        Assert.Equal(StatusCodes.BadUserAccessDenied, refused.Results![0].StatusCode.Code);
        Assert.Equal(StatusCode.Good, moved.Results![0].StatusCode);
        var denial = Assert.Single(_denied);
        Assert.Equal(("TransferSubscriptions", "observer", "Observer", StatusCodes.BadUserAccessDenied), (denial.Service, denial.UserName, denial.Role, denial.Status.Code));
    }

    private async Task<RawSessionClient> Open(X509Certificate2? certificate)
    {
        var client = await RawSessionClient.OpenAsync($"opc.tcp://127.0.0.1:{_server.Port}/", ServerCertificate, certificate);
        _clients.Add(client);
        return client;
    }

    private async Task<(RawSessionClient Client, RawSession Session)> ActivatedSession(X509Certificate2? certificate, UserCredentials credentials)
    {
        var client = await Open(certificate);
        var session = await client.CreateSessionAsync();
        Assert.Equal(0u, await client.ActivateAsync(session, credentials));
        return (client, session);
    }
}
