using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.Testing;

namespace ThermalPlant.Interop.Tests;

/// <summary>
/// The README's two-step trust flow of <c>thermalplant opcua</c> against node-opcua's secured server (issue 13, item 5):
/// node-opcua answers an untrusted client certificate with a ServiceFault (BadSecurityChecksFailed) to
/// OpenSecureChannel; the command says so with exit code 3 and the hint, and succeeds once node-opcua trusts it.
/// </summary>
public sealed class NodeOpcUaTrustFlowTests : IDisposable
{
    /// <summary>node-opcua's folder polling (5 s) and file stability (2 s) with a margin.</summary>
    private static readonly TimeSpan NodeOpcUaFolderPolling = TimeSpan.FromSeconds(10);

    private readonly string _directory = Directory.CreateTempSubdirectory("thermalplant-interop-trust-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task The_command_is_refused_with_exit_3_and_the_hint_then_reads_once_node_opcua_trusts_its_certificate()
    {
        var script = NodeOpcUa.Script("server-secure.mjs");
        Assert.NotNull(script);
        var nodePki = Path.Combine(_directory, "node-server");
        var cliStore = Path.Combine(_directory, "cli-pki");
        var port = PeerPrograms.FreePort();
        await using var server = ManagedProcess.Start("node", [script, port.ToString(CultureInfo.InvariantCulture), nodePki], Path.GetDirectoryName(script));
        await WaitForReady(server);
        var url = $"opc.tcp://127.0.0.1:{port}/UA/Secure";
        string[] read = ["opcua", "read", url, "ns=1;s=Unit.FlowSetpoint", "--security-policy", "Basic256Sha256", "--store", cliStore];

        // Step 1: the command does not trust node-opcua's certificate yet; trusting it is the command's own verb.
        var untrustedServer = await Thermalplant(read);
        Assert.True(untrustedServer.Exit == 3, untrustedServer.Output);
        Assert.Contains("the server's certificate", untrustedServer.Output, StringComparison.Ordinal);
        var serverThumbprint = TestCertificates.SingleThumbprint(new CertificateStore(cliStore).RejectedCerts);
        Assert.Equal(0, (await Thermalplant("opcua", "certificates", "trust", "--store", cliStore, serverThumbprint)).Exit);

        // Step 2: node-opcua refuses the command's certificate with a ServiceFault to OpenSecureChannel.
        var untrustedClient = await Thermalplant(read);
        Assert.True(untrustedClient.Exit == 3, untrustedClient.Output);
        Assert.Contains("BadSecurityChecksFailed", untrustedClient.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidCastException", untrustedClient.Output, StringComparison.Ordinal);
        using var ours = X509CertificateLoader.LoadCertificateFromFile(Assert.Single(Directory.GetFiles(new CertificateStore(cliStore).OwnCerts)));
        Assert.Contains($"the server does not trust this command line's certificate {ours.Subject} [{ours.Thumbprint}]", untrustedClient.Output, StringComparison.Ordinal);
        Assert.Contains("thermalplant opcua certificates trust --store SERVER_STORE", untrustedClient.Output, StringComparison.Ordinal);
        Assert.Contains("rejected/*.pem", untrustedClient.Output, StringComparison.Ordinal);

        // node-opcua keeps it as rejected/<name>.pem and reads its folders by polling (every 5 s, a file counting once
        // stable for 2 s); one in both rejected/ and trusted/ counts as rejected. The administrator moves it to
        // trusted/certs once node-opcua has seen it, and removes a copy node-opcua writes back to rejected/.
        var rejectedFolder = Path.Combine(nodePki, "rejected");
        var rejected = Assert.Single(Directory.GetFiles(rejectedFolder, "*.pem"));
        Assert.Equal(ours.Thumbprint, X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(rejected)).Thumbprint);
        await Task.Delay(NodeOpcUaFolderPolling);
        File.Move(rejected, Path.Combine(nodePki, "trusted", "certs", Path.GetFileName(rejected)));

        var until = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        var trusted = await Thermalplant(read);
        while (trusted.Exit == 3 && DateTime.UtcNow < until)
        {
            await Task.Delay(NodeOpcUaFolderPolling);
            foreach (var again in Directory.GetFiles(rejectedFolder, "*.pem")) File.Delete(again);
            trusted = await Thermalplant(read);
        }
        Assert.True(trusted.Exit == 0, trusted.Output);
        Assert.Contains("16.7", trusted.Output, StringComparison.Ordinal);
    }


    /// <summary>Runs the built <c>thermalplant</c> command (stdout and stderr together).</summary>
    private static async Task<(int Exit, string Output)> Thermalplant(params string[] args) =>
        await ManagedProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "thermalplant.dll"), .. args], TimeSpan.FromSeconds(120));

    private static async Task WaitForReady(ManagedProcess server)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!server.Output.Contains("ready", StringComparison.Ordinal))
        {
            if (server.HasExited || DateTime.UtcNow > deadline) Assert.Fail($"node-opcua's secured server did not start:\n{server.Output}");
            await Task.Delay(200);
        }
    }
}
