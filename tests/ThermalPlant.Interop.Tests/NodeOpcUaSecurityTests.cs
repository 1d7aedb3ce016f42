using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Testing;

namespace ThermalPlant.Interop.Tests;

/// <summary>Secure channels with node-opcua both ways: every policy and mode, certificates trusted explicitly, PKIs in temp dirs.</summary>
public sealed class NodeOpcUaSecurityTests : IDisposable
{
    private static readonly EndpointSecurity[] Secured =
    [
        new(SecurityPolicyUris.Basic256Sha256, MessageSecurityMode.Sign),
        new(SecurityPolicyUris.Basic256Sha256, MessageSecurityMode.SignAndEncrypt),
        new(SecurityPolicyUris.Aes128Sha256RsaOaep, MessageSecurityMode.Sign),
        new(SecurityPolicyUris.Aes128Sha256RsaOaep, MessageSecurityMode.SignAndEncrypt),
        new(SecurityPolicyUris.Aes256Sha256RsaPss, MessageSecurityMode.Sign),
        new(SecurityPolicyUris.Aes256Sha256RsaPss, MessageSecurityMode.SignAndEncrypt),
    ];

    private readonly string _directory = Directory.CreateTempSubdirectory("thermalplant-interop-pki-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Node_opcua_is_refused_while_untrusted_then_connects_with_each_policy_and_mode_once_trusted()
    {
        var script = NodeOpcUa.Script("client-secure.mjs");
        var store = new CertificateStore(Path.Combine(_directory, "server"));
        await using var server = new OpcUaServer(new OpcUaServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            HostName = "127.0.0.1",
            Security = Secured,
            CertificateStorePath = store.Path,
        });
        server.Start();
        var endpoint = $"opc.tcp://127.0.0.1:{server.Port}/freeopcua/server/";
        var nodePki = Path.Combine(_directory, "node-client");
        Directory.CreateDirectory(Path.Combine(nodePki, "trusted", "certs"));
        File.WriteAllBytes(Path.Combine(nodePki, "trusted", "certs", "thermalplant-server.der"), server.Certificate!.RawData);

        var first = await RunClient(script, endpoint, nodePki, "Basic256Sha256:SignAndEncrypt");
        var refused = Assert.Single(first.GetProperty("results").EnumerateArray());
        Assert.True(refused.TryGetProperty("error", out _), refused.ToString());
        var rejected = Assert.Single(Directory.GetFiles(store.RejectedCerts));
        var nodeCertificate = X509Certificate2.CreateFromPem(File.ReadAllText(first.GetProperty("certificate").GetString()!));
        Assert.Equal(nodeCertificate.Thumbprint, X509CertificateLoader.LoadCertificateFromFile(rejected).Thumbprint);

        // What `thermalplant opcua certificates trust` does: move it from rejected to trusted.
        Assert.NotNull(CertificateStore.Move(store.RejectedCerts, store.TrustedCerts, nodeCertificate.Thumbprint));
        var pairs = Secured.Select(e => $"{e.PolicyUri[(e.PolicyUri.IndexOf('#', StringComparison.Ordinal) + 1)..]}:{e.Mode}").ToArray();
        var second = await RunClient(script, endpoint, nodePki, pairs);
        var results = second.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(Secured.Length, results.Count);
        foreach (var result in results)
        {
            Assert.False(result.TryGetProperty("error", out var error), $"{result.GetProperty("policy")} {result.GetProperty("mode")}: {error}");
            Assert.Equal("Good", result.GetProperty("status").GetString());
            Assert.Equal(0, result.GetProperty("state").GetInt32());
        }
        Assert.Equal(0, server.SessionCount);
    }

    [Fact]
    public async Task Our_client_connects_to_a_secured_node_opcua_server_with_each_policy_and_mode()
    {
        var script = NodeOpcUa.Script("server-secure.mjs");
        var nodePki = Path.Combine(_directory, "node-server");
        var store = new CertificateStore(Path.Combine(_directory, "client"));
        var options = new OpcUaClientOptions { ApplicationUri = "urn:thermalplant:interop:client", CertificateStorePath = store.Path };
        // node-opcua trusts our client's certificate before it starts; we trust its certificate once it made one.
        using var ours = store.LoadOrCreateApplicationCertificate(options.ApplicationUri, options.ApplicationName, ["localhost"], TimeProvider.System, TimeSpan.FromDays(30));
        Directory.CreateDirectory(Path.Combine(nodePki, "trusted", "certs"));
        File.WriteAllBytes(Path.Combine(nodePki, "trusted", "certs", "thermalplant-client.der"), ours.RawData);
        var port = PeerPrograms.FreePort();
        await using var server = ManagedProcess.Start("node", [script, port.ToString(CultureInfo.InvariantCulture), nodePki], Path.GetDirectoryName(script));
        await WaitForReady(server);
        store.AddTrusted(X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(nodePki, "own", "certs", "certificate.pem"))));

        // The peer's certificate names 127.0.0.1, localhost and the machine, not 127.0.0.2 (the same loopback).
        var unnamed = await Assert.ThrowsAsync<OpcUaException>(() => OpcUaClient.ConnectAsync($"opc.tcp://127.0.0.2:{port}/UA/Secure", options with { SecurityPolicyUri = SecurityPolicyUris.Basic256Sha256, SecurityMode = MessageSecurityMode.SignAndEncrypt }));
        Assert.Equal(StatusCodes.BadCertificateHostNameInvalid, unnamed.Status.Code);
        var url = $"opc.tcp://127.0.0.1:{port}/UA/Secure";
        foreach (var security in Secured)
        {
            await using var client = await OpcUaClient.ConnectAsync(url, options with { SecurityPolicyUri = security.PolicyUri, SecurityMode = security.Mode });
            Assert.Equal((security.PolicyUri, security.Mode), (client.Endpoint.SecurityPolicyUri, client.Endpoint.SecurityMode));
            await client.OpenSessionAsync("thermalplant-secure");
            var objects = await client.BrowseAsync(NodeId.Of(ObjectIds.ObjectsFolder));
            var unit = objects.Single(r => r.BrowseName.Name == "Unit").NodeId.NodeId;
            var value = await client.ReadValueAsync(NodeId.Of("Unit.FlowSetpoint", unit.NamespaceIndex));
            Assert.Equal(16.7, value.Value!.Value);
            await client.CloseAsync();
        }
    }

    private static async Task<JsonElement> RunClient(string script, string endpoint, string pki, params string[] pairs)
    {
        var (exit, output) = await ManagedProcess.RunAsync("node", [script, endpoint, pki, .. pairs], TimeSpan.FromSeconds(120), Path.GetDirectoryName(script));
        Assert.True(exit == 0, output);
        return JsonDocument.Parse(output.Split('\n').Last(line => line.StartsWith('{'))).RootElement.Clone();
    }

    private static async Task WaitForReady(ManagedProcess server)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!server.Output.Contains("ready", StringComparison.Ordinal))
        {
            if (server.HasExited || DateTime.UtcNow > deadline) Assert.Fail($"node-opcua's secured server did not start:\n{server.Output}");
            await Task.Delay(100);
        }
    }
}
