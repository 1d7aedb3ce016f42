using System.CommandLine;
using System.Net;
using System.Text.Json;
using ThermalPlant.Cli.OpcUa;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Testing;

namespace ThermalPlant.Cli.Tests;

/// <summary>
/// The site CA (issue 20): init-ca, issue into a server's and the command line's stores, and the two trust each other
/// through the CA (chain and CRL checked) with no certificate trusted by hand; renew, and revoke with the CRL.
/// </summary>
public sealed class SiteCaCommandTests : IAsyncLifetime
{
    private const string Password = "op-pass";
    private readonly string _directory = Directory.CreateTempSubdirectory("thermalplant-cli-siteca-").FullName;
    private OpcUaServer? _server;

    private string Ca => Path.Combine(_directory, "ca");

    private string ServerStore => Path.Combine(_directory, "server-pki");

    private string CliStore => Path.Combine(_directory, "cli-pki");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Applications_with_certificates_of_the_site_ca_trust_each_other_until_one_is_revoked()
    {
        var created = await Run("opcua", "certificates", "init-ca", "--ca", Ca);
        Assert.Equal(0, created.Exit);
        Assert.StartsWith("created: CN=Thermal Plant site CA", created.Output, StringComparison.Ordinal);
        var kept = await Run("opcua", "certificates", "init-ca", "--ca", Ca);
        Assert.StartsWith("kept: CN=Thermal Plant site CA", kept.Output, StringComparison.Ordinal);
        Assert.Equal(created.Output[created.Output.IndexOf('[', StringComparison.Ordinal)..], kept.Output[kept.Output.IndexOf('[', StringComparison.Ordinal)..]);

        // A stale self-signed certificate of the server, as a store created before the CA holds: issue replaces it.
        using (var stale = ApplicationCertificates.Create("urn:thermalplant:opcserver", "stale", ["somewhere-else"], TimeProvider.System, TimeSpan.FromDays(3650)))
        {
            new CertificateStore(ServerStore).SaveOwn(stale);
        }
        Assert.Equal(0, (await Run("opcua", "certificates", "issue", "--ca", Ca, "--store", ServerStore, "--uri", "urn:thermalplant:opcserver", "--application-name", "opcserver", "--host", "127.0.0.1", "--host", "opcserver")).Exit);
        var cli = await Run("opcua", "certificates", "issue", "--ca", Ca, "--store", CliStore, "--uri", "urn:thermalplant:cli", "--application-name", "cli", "--host", "localhost");
        Assert.Equal(0, cli.Exit);
        Assert.StartsWith("issued: CN=cli", cli.Output, StringComparison.Ordinal);
        var again = await Run("opcua", "certificates", "issue", "--ca", Ca, "--store", CliStore, "--uri", "urn:thermalplant:cli", "--application-name", "cli", "--host", "localhost");
        Assert.StartsWith("kept: CN=cli", again.Output, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(new CertificateStore(ServerStore).OwnCerts));
        Assert.Single(Directory.GetFiles(new CertificateStore(ServerStore).TrustedCerts));
        Assert.Single(Directory.GetFiles(new CertificateStore(ServerStore).TrustedCrl));

        StartServer();
        string[] read = ["opcua", "read", $"opc.tcp://127.0.0.1:{_server!.Port}/freeopcua/server/", "ns=2;s=Setpoint", "--json",
            "--security-policy", "Basic256Sha256", "--security-mode", "SignAndEncrypt", "--store", CliStore, "--user", "operator"];
        var first = await Run(read);
        Assert.True(first.Exit == 0, first.Error);
        using (var doc = JsonDocument.Parse(first.Output)) Assert.Equal(12.5, doc.RootElement[0].GetProperty("value").GetDouble());
        Assert.Empty(Directory.GetFiles(new CertificateStore(ServerStore).RejectedCerts));
        Assert.Empty(Directory.GetFiles(new CertificateStore(CliStore).RejectedCerts));

        // Renewal: everything expires within 1000 days, so the command line gets a new certificate, which works at once.
        var renewed = await Run("opcua", "certificates", "renew", "--ca", Ca, "--store", CliStore, "--within", "1000");
        Assert.Equal(0, renewed.Exit);
        Assert.Contains("renewed: CN=cli", renewed.Output, StringComparison.Ordinal);
        Assert.Contains("renewed the CRL", renewed.Output, StringComparison.Ordinal);
        var thumbprint = TestCertificates.SingleThumbprint(new CertificateStore(CliStore).OwnCerts);
        Assert.DoesNotContain(thumbprint, cli.Output, StringComparison.Ordinal);
        Assert.Equal(0, (await Run(read)).Exit);

        // Revocation: the CRL published into the server's store refuses the command line's certificate.
        var revoked = await Run("opcua", "certificates", "revoke", "--ca", Ca, thumbprint[..12], "--store", ServerStore);
        Assert.True(revoked.Exit == 0, revoked.Error);
        Assert.StartsWith("revoked: CN=cli", revoked.Output, StringComparison.Ordinal);
        var refused = await Run(read);
        Assert.NotEqual(0, refused.Exit);
        Assert.Equal(1, (await Run("opcua", "certificates", "revoke", "--ca", Ca, "FFFFFFFF")).Exit);
    }

    private void StartServer()
    {
        _server = new OpcUaServer(new OpcUaServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            HostName = "opcserver",
            Security = [new EndpointSecurity(SecurityPolicyUris.Basic256Sha256, MessageSecurityMode.SignAndEncrypt)],
            CertificateStorePath = ServerStore,
            Users = new UserAuthenticationOptions
            {
                AllowAnonymous = false,
                Users = [new UserAccount { Name = "operator", Role = "Operator", PasswordHash = PasswordHash.Create(Password, PasswordHash.MinIterations) }],
            },
        });
        var ns = _server.AddressSpace.RegisterNamespace("urn:thermalplant:plant");
        _server.AddressSpace.AddVariable(NodeId.Of(ObjectIds.ObjectsFolder), new UaVariable(NodeId.Of("Setpoint", ns), new QualifiedName(ns, "Setpoint"), "Setpoint", NodeId.Of(DataTypeIds.Double)))
            .SetValue(new DataValue { Value = Variant.From(12.5) });
        _server.Start();
        // The server loaded the certificate the CA issued and created no self-signed one beside it.
        Assert.Single(Directory.GetFiles(new CertificateStore(ServerStore).OwnCerts));
    }

    private static async Task<(int Exit, string Output, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var root = new RootCommand { OpcUaCommands.Create(output, null, name => name == LoginOptions.PasswordVariable ? Password : null, error) };
        var exit = await root.Parse(args).InvokeAsync();
        return (exit, output.ToString(), error.ToString());
    }
}
