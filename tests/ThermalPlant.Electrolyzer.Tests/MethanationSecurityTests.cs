using Microsoft.Extensions.DependencyInjection;
using ThermalPlant.Electrolyzer.Simulation;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Testing;

namespace ThermalPlant.Electrolyzer.Tests;

/// <summary>
/// The methanation unit's OPC UA server takes the security keys of the OPC UA server service (issue 9): secured
/// endpoints with a certificate store, None turned off, and the same validation at start.
/// </summary>
public sealed class MethanationSecurityTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("thermalplant-methanation-security-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task The_host_offers_only_the_configured_secured_endpoint_and_a_trusted_client_reads_the_request()
    {
        var opcuaPort = PeerPrograms.FreePort();
        var plcStore = new CertificateStore(Path.Combine(_directory, "plc-pki"));
        var app = ElectrolyzerHost.Create([
            "--urls=http://127.0.0.1:0", "--Electrolyzer:ModbusAddress=127.0.0.1", $"--Electrolyzer:ModbusPort={PeerPrograms.FreePort()}",
            "--Methanation:Address=127.0.0.1", $"--Methanation:Port={opcuaPort}", "--Methanation:HostName=127.0.0.1", "--Methanation:InitialRequest=9.25",
            "--Methanation:AllowSecurityNone=false", "--Methanation:SecurityPolicies:0=Aes256_Sha256_RsaPss", "--Methanation:SecurityModes:0=SignAndEncrypt",
            $"--Methanation:CertificateStorePath={plcStore.Path}",
        ]);
        await app.StartAsync();
        try
        {
            await ListeningAsync(app.Services.GetRequiredService<ElectrolyzerService>());
            var url = $"opc.tcp://127.0.0.1:{opcuaPort}/";
            var clientStore = new CertificateStore(Path.Combine(_directory, "client-pki"));
            var secured = new OpcUaClientOptions { SecurityPolicyUri = SecurityPolicyUris.Aes256Sha256RsaPss, SecurityMode = MessageSecurityMode.SignAndEncrypt, CertificateStorePath = clientStore.Path };
            Trust(plcStore.OwnCerts, clientStore);
            using (var clientCertificate = ClientCertificates.Resolve(secured, TimeProvider.System)) plcStore.AddTrusted(clientCertificate);

            var none = await Assert.ThrowsAsync<OpcUaException>(() => OpcUaClient.ConnectAsync(url));
            Assert.Equal(StatusCodes.BadSecurityPolicyRejected, none.Status.Code);
            var sign = await Assert.ThrowsAsync<OpcUaException>(() => OpcUaClient.ConnectAsync(url, secured with { SecurityMode = MessageSecurityMode.Sign }));
            Assert.Equal(StatusCodes.BadSecurityPolicyRejected, sign.Status.Code);

            await using var client = await OpcUaClient.ConnectAsync(url, secured);
            await client.OpenSessionAsync("test");
            Assert.Equal(9.25, (await client.ReadValueAsync(NodeId.Parse(MethanationUnit.RequestNodeId))).Value.Value);
            await client.CloseAsync();
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("--Methanation:SecurityPolicies:0=Basic128Rsa15", "Methanation:SecurityPolicies has 'Basic128Rsa15'")]
    [InlineData("--Methanation:AllowSecurityNone=false", "Methanation:SecurityPolicies must name a policy when AllowSecurityNone is false")]
    [InlineData("--Methanation:SecurityPolicies:0=Basic256Sha256", "Methanation:CertificateStorePath must be set when SecurityPolicies are offered")]
    public async Task Security_settings_that_do_not_go_together_stop_the_start_naming_the_key(string setting, string message)
    {
        var app = ElectrolyzerHost.Create(["--urls=http://127.0.0.1:0", "--Electrolyzer:ModbusAddress=127.0.0.1", "--Electrolyzer:ModbusPort=0", setting]);
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => app.StartAsync());
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        await app.DisposeAsync();
    }

    [Fact]
    public void The_defaults_offer_none_only_without_a_store_as_the_local_stack_expects()
    {
        var options = new MethanationOptions();

        Assert.Equal([EndpointSecurity.None], options.Endpoints());
        Assert.Null(options.ApplySecurity(new OpcUa.Server.OpcUaServerOptions()).CertificateStorePath);
    }

    /// <summary>Waits up to 10 s for the unit to listen (the service starts it after the host has started), so its certificate exists.</summary>
    private static async Task ListeningAsync(ElectrolyzerService service)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (service.Methanation is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the methanation unit did not start within 10 s");
            await Task.Delay(20);
        }
    }

    private static void Trust(string ownCerts, CertificateStore store)
    {
        foreach (var certificate in CertificateStore.Load(ownCerts))
        {
            using (certificate) store.AddTrusted(certificate);
        }
    }
}
