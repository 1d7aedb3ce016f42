using System.CommandLine;
using System.Text.Json;
using ThermalPlant.Cli.OpcUa;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Security.Certificates;

namespace ThermalPlant.Cli.Tests;

/// <summary><c>thermalplant opcua certificates ...</c> over a store in a temporary folder.</summary>
public sealed class OpcUaCertificateCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("thermalplant-cli-pki-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_rejected_certificate_is_listed_trusted_and_rejected_again()
    {
        var store = new CertificateStore(_directory);
        using var own = store.LoadOrCreateApplicationCertificate("urn:thermalplant:opcserver", "Server", ["localhost"], TimeProvider.System, TimeSpan.FromDays(30));
        using var client = ApplicationCertificates.Create("urn:scada:client", "SCADA Client", ["scada"], TimeProvider.System, TimeSpan.FromDays(30));
        store.AddRejected(client);

        var (exit, output, _) = await Run("opcua", "certificates", "list", "--store", _directory, "--json");
        Assert.Equal(0, exit);
        using (var doc = JsonDocument.Parse(output))
        {
            var rows = doc.RootElement.EnumerateArray().Select(r => (Store: r.GetProperty("store").GetString(), Thumbprint: r.GetProperty("thumbprint").GetString(), Uri: r.GetProperty("application uri").GetString())).ToList();
            Assert.Contains(("own", own.Thumbprint, "urn:thermalplant:opcserver"), rows);
            Assert.Contains(("rejected", client.Thumbprint, "urn:scada:client"), rows);
        }

        Assert.Equal(0, (await Run("opcua", "certificates", "trust", "--store", _directory, client.Thumbprint[..10])).Exit);
        Assert.Single(Directory.GetFiles(store.TrustedCerts));
        Assert.Empty(Directory.GetFiles(store.RejectedCerts));
        new CertificateValidator(store, TimeProvider.System).Validate(client, SecurityPolicies.FromName("Basic256Sha256"), ApplicationType.Client);

        Assert.Equal(0, (await Run("opcua", "certificates", "reject", "--store", _directory, client.Thumbprint)).Exit);
        Assert.Empty(Directory.GetFiles(store.TrustedCerts));
        var (missing, _, error) = await Run("opcua", "certificates", "trust", "--store", _directory, "00FF00FF");
        Assert.Equal(1, missing);
        Assert.Contains("no single certificate", error, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var root = new RootCommand { OpcUaCommands.Create(output, error: error) };
        var exit = await root.Parse(args).InvokeAsync();
        return (exit, output.ToString(), error.ToString());
    }
}
