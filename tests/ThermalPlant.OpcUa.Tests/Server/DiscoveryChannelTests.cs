using System.Net;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Messages;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Tests.Users;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Testing;

namespace ThermalPlant.OpcUa.Tests.Server;

/// <summary>
/// A secure channel whose policy and mode no endpoint offers (SecurityPolicy None on a server without a None endpoint,
/// or Sign where only SignAndEncrypt is offered) serves the discovery services only: no session is created on it,
/// and none is moved onto it (issue 13, item 6).
/// </summary>
public sealed class DiscoveryChannelTests : IAsyncLifetime
{
    private static readonly X509Certificate2 ServerCertificate = TestCertificates.Create("server", "urn:thermalplant:opcserver");
    private static readonly X509Certificate2 Client = TestCertificates.Create("client", "urn:thermalplant:test:client");
    private OpcUaServer _server = null!;

    private string Url => $"opc.tcp://127.0.0.1:{_server.Port}/freeopcua/server/";

    public Task InitializeAsync()
    {
        _server = new OpcUaServer(new OpcUaServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            HostName = "127.0.0.1",
            ApplicationCertificate = ServerCertificate,
            Security = [new EndpointSecurity(SecurityPolicyUris.Basic256Sha256, MessageSecurityMode.SignAndEncrypt)],
            AutoAcceptUntrustedCertificates = true,
        });
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_session_is_not_moved_onto_a_channel_whose_mode_no_endpoint_offers()
    {
        await using var encrypted = await RawSessionClient.OpenAsync(Url, ServerCertificate, Client);
        var session = await encrypted.CreateSessionAsync();
        Assert.Equal(0u, await encrypted.ActivateAsync(session, UserCredentials.Anonymous));

        await using var signed = await RawSessionClient.OpenAsync(Url, ServerCertificate, Client, MessageSecurityMode.Sign);
        Assert.Equal(StatusCodes.BadSecurityPolicyRejected, await signed.ActivateAsync(session, UserCredentials.Anonymous));
        await using var none = await RawSessionClient.OpenAsync(Url, ServerCertificate, null);
        Assert.Equal(StatusCodes.BadSecurityPolicyRejected, await none.ActivateAsync(session, UserCredentials.Anonymous));

        // The session stayed on its encrypted channel.
        var read = await encrypted.SendAsync(new ReadRequest { NodesToRead = [new ReadValueId { NodeId = NodeId.Of(VariableIds.Server_ServerStatus_State), AttributeId = (uint)AttributeId.Value }] }, session);
        Assert.IsType<ReadResponse>(read);
    }

    [Fact]
    public async Task On_a_discovery_only_channel_every_service_but_discovery_answers_BadSecurityPolicyRejected()
    {
        // A real session on the encrypted channel: its token does not open the None channel to session services.
        await using var encrypted = await RawSessionClient.OpenAsync(Url, ServerCertificate, Client);
        var session = await encrypted.CreateSessionAsync();
        Assert.Equal(0u, await encrypted.ActivateAsync(session, UserCredentials.Anonymous));
        await using var none = await RawSessionClient.OpenAsync(Url, ServerCertificate, null);

        foreach (var service in ServiceDispatcher.Services.Values)
        {
            var request = (IServiceRequest)Activator.CreateInstance(service.RequestType)!;
            if (request is GetEndpointsRequest or FindServersRequest)
            {
                Assert.IsNotType<ServiceFault>(await none.SendAsync(request, session));
                continue;
            }
            var fault = Assert.IsType<ServiceFault>(await none.SendAsync(request, session));
            Assert.True(fault.ResponseHeader.ServiceResult.Code == StatusCodes.BadSecurityPolicyRejected, $"{service.Name} answered {fault.ResponseHeader.ServiceResult}");
        }
    }
}
