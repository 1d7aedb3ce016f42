using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Messages;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Tests.Users;
using ThermalPlant.Testing;

namespace ThermalPlant.OpcUa.Tests.Server;

/// <summary>
/// The dispatcher's service table (issue 18, item 4): every service declares what it needs, and the dispatcher enforces
/// it for each one before the service runs.
/// </summary>
public sealed class ServiceTableTests : IAsyncLifetime
{
    private static readonly X509Certificate2 ServerCertificate = TestCertificates.Create("server", "urn:thermalplant:opcserver");

    // What each service needs, written out once more: a service added to the table without a deliberate entry here fails.
    private static readonly Dictionary<string, (ServiceAccess Access, UserPermissions Permission)> Declared = new()
    {
        ["GetEndpoints"] = (ServiceAccess.Discovery, UserPermissions.None),
        ["FindServers"] = (ServiceAccess.Discovery, UserPermissions.None),
        ["CreateSession"] = (ServiceAccess.Channel, UserPermissions.None),
        ["ActivateSession"] = (ServiceAccess.Session, UserPermissions.None),
        ["CloseSession"] = (ServiceAccess.Session, UserPermissions.None),
        ["Read"] = (ServiceAccess.ActivatedSession, UserPermissions.None),
        ["Write"] = (ServiceAccess.ActivatedSession, UserPermissions.None),
        ["HistoryRead"] = (ServiceAccess.ActivatedSession, UserPermissions.None),
        ["Call"] = (ServiceAccess.ActivatedSession, UserPermissions.None),
        ["Browse"] = (ServiceAccess.ActivatedSession, UserPermissions.None),
        ["BrowseNext"] = (ServiceAccess.ActivatedSession, UserPermissions.None),
        ["TranslateBrowsePathsToNodeIds"] = (ServiceAccess.ActivatedSession, UserPermissions.None),
        ["RegisterNodes"] = (ServiceAccess.ActivatedSession, UserPermissions.None),
        ["UnregisterNodes"] = (ServiceAccess.ActivatedSession, UserPermissions.None),
        ["CreateSubscription"] = (ServiceAccess.ActivatedSession, UserPermissions.Subscribe),
        ["ModifySubscription"] = (ServiceAccess.ActivatedSession, UserPermissions.None),
        ["SetPublishingMode"] = (ServiceAccess.ActivatedSession, UserPermissions.None),
        ["DeleteSubscriptions"] = (ServiceAccess.ActivatedSession, UserPermissions.None),
        ["TransferSubscriptions"] = (ServiceAccess.ActivatedSession, UserPermissions.Subscribe),
        ["Republish"] = (ServiceAccess.ActivatedSession, UserPermissions.None),
        ["Publish"] = (ServiceAccess.ActivatedSession, UserPermissions.None),
        ["CreateMonitoredItems"] = (ServiceAccess.ActivatedSession, UserPermissions.Subscribe),
        ["ModifyMonitoredItems"] = (ServiceAccess.ActivatedSession, UserPermissions.None),
        ["DeleteMonitoredItems"] = (ServiceAccess.ActivatedSession, UserPermissions.None),
        ["SetMonitoringMode"] = (ServiceAccess.ActivatedSession, UserPermissions.None),
        ["SetTriggering"] = (ServiceAccess.ActivatedSession, UserPermissions.None),
    };

    // Where each service runs, written out once more: only what may block leaves the read loop (issue 17), and a
    // service added to the table without a deliberate entry here fails.
    private static readonly Dictionary<string, ServiceRuns> Runs = new()
    {
        ["CreateSession"] = ServiceRuns.InBackground,
        ["ActivateSession"] = ServiceRuns.InBackground,
        ["HistoryRead"] = ServiceRuns.InBackground,
        ["Call"] = ServiceRuns.InBackground,
        ["Write"] = ServiceRuns.InBackgroundWhenItMayBlock,
        // They wait for the subscription's lock, which a publishing cycle may hold for milliseconds.
        ["ModifySubscription"] = ServiceRuns.InBackground,
        ["SetPublishingMode"] = ServiceRuns.InBackground,
        ["TransferSubscriptions"] = ServiceRuns.InBackground,
        ["CreateMonitoredItems"] = ServiceRuns.InBackground,
        ["ModifyMonitoredItems"] = ServiceRuns.InBackground,
        ["DeleteMonitoredItems"] = ServiceRuns.InBackground,
        ["SetMonitoringMode"] = ServiceRuns.InBackground,
        ["SetTriggering"] = ServiceRuns.InBackground,
    };

    private readonly ConcurrentQueue<AccessDenied> _denied = new();
    private OpcUaServer _server = null!;

    private string Url => $"opc.tcp://127.0.0.1:{_server.Port}/freeopcua/server/";

    public static TheoryData<string> SessionServices() => [.. ServiceDispatcher.Services.Values.Where(s => s.Access == ServiceAccess.ActivatedSession).Select(s => s.Name)];

    public Task InitializeAsync()
    {
        _server = new OpcUaServer(new OpcUaServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            HostName = "127.0.0.1",
            ApplicationCertificate = ServerCertificate,
            // Anonymous sessions get the default anonymous role: Read only, so no Subscribe.
            Users = new UserAuthenticationOptions(),
        });
        _server.AccessDenied += _denied.Enqueue;
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public void Every_service_in_the_table_declares_its_session_and_permission_and_is_keyed_by_its_request()
    {
        var table = ServiceDispatcher.Services.Values.ToDictionary(s => s.Name, s => (s.Access, s.Permission));
        Assert.Equal(Declared.OrderBy(d => d.Key), table.OrderBy(t => t.Key));
        foreach (var (id, service) in ServiceDispatcher.Services)
        {
            var request = Assert.IsAssignableFrom<IServiceRequest>(Activator.CreateInstance(service.RequestType));
            Assert.Equal(id, request.EncodingId);
        }
    }

    [Fact]
    public void Only_the_services_that_may_block_run_off_the_read_loop()
    {
        var table = ServiceDispatcher.Services.Values.Where(s => s.Runs != ServiceRuns.OnReadLoop).ToDictionary(s => s.Name, s => s.Runs);
        Assert.Equal(Runs.OrderBy(r => r.Key), table.OrderBy(t => t.Key));
    }

    [Fact]
    public void A_permission_without_an_activated_session_cannot_be_declared() =>
        Assert.Throws<ArgumentException>(() => ServiceEntry.Of<CreateSessionRequest>(ServiceAccess.Channel, UserPermissions.Subscribe, static (_, _, _) => null));

    [Theory]
    [MemberData(nameof(SessionServices))]
    public async Task An_unactivated_session_is_refused_by_every_service_that_needs_an_activated_one(string name)
    {
        await using var raw = await RawSessionClient.OpenAsync(Url, ServerCertificate, null);
        var session = await raw.CreateSessionAsync();

        var refused = await raw.SendAsync(Request(name), session);

        Assert.Equal(StatusCodes.BadSessionNotActivated, Assert.IsType<ServiceFault>(refused).ResponseHeader.ServiceResult.Code);
        // Once activated, the same request passes the session check (it may still fail on its own terms).
        Assert.Equal(0u, await raw.ActivateAsync(session, UserCredentials.Anonymous));
        var served = await raw.SendAsync(Request(name), session);
        Assert.False(served is ServiceFault { ResponseHeader.ServiceResult.Code: StatusCodes.BadSessionNotActivated or StatusCodes.BadSessionIdInvalid });
    }

    [Fact]
    public async Task A_role_without_a_services_permission_is_refused_that_service_and_it_is_reported()
    {
        await using var raw = await RawSessionClient.OpenAsync(Url, ServerCertificate, null);
        var session = await raw.CreateSessionAsync();
        Assert.Equal(0u, await raw.ActivateAsync(session, UserCredentials.Anonymous));
        var needing = ServiceDispatcher.Services.Values.Where(s => s.Permission != UserPermissions.None).ToArray();
        Assert.NotEmpty(needing);

        foreach (var service in needing)
        {
            var refused = await raw.SendAsync(Request(service.Name), session);
            Assert.Equal(StatusCodes.BadUserAccessDenied, Assert.IsType<ServiceFault>(refused).ResponseHeader.ServiceResult.Code);
        }
        Assert.Equal(needing.Select(s => s.Name).Order(), _denied.Select(d => d.Service).Order());
    }

    private static IServiceRequest Request(string name) =>
        (IServiceRequest)Activator.CreateInstance(ServiceDispatcher.Services.Values.Single(s => s.Name == name).RequestType)!;
}
