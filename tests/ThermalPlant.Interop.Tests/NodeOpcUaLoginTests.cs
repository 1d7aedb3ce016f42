using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Testing;

namespace ThermalPlant.Interop.Tests;

/// <summary>User name, password and X.509 user certificate logins between node-opcua and us, both ways, over SecurityPolicy None channels.</summary>
public sealed class NodeOpcUaLoginTests
{
    private static readonly X509Certificate2 ServerCertificate = TestCertificates.Create("thermalplant-interop", "urn:thermalplant:opcserver");
    private static readonly X509Certificate2 EngineerCertificate = TestCertificates.Create("engineer");

    [Fact]
    public async Task Node_opcua_logs_in_to_our_server_with_a_password_or_a_user_certificate_and_its_anonymous_session_may_read_but_not_write()
    {
        var script = NodeOpcUa.Script("client-login.mjs");
        var denied = new List<AccessDenied>();
        await using var server = StartServer(allowAnonymous: true, denied);
        var directory = Directory.CreateTempSubdirectory("thermalplant-login-").FullName;
        JsonElement root;
        try
        {
            var (certificate, key) = TestCertificates.WritePem(EngineerCertificate, directory, "engineer");
            root = await RunClient(script, server, new Dictionary<string, string> { ["THERMALPLANT_TEST_CERT"] = certificate, ["THERMALPLANT_TEST_KEY"] = key });
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        Assert.Contains(root.GetProperty("policies").EnumerateArray(), p => p.GetProperty("type").GetString() == "UserName" && p.GetProperty("policy").GetString() == SecurityPolicyUris.Basic256Sha256);
        var anonymous = root.GetProperty("anonymous");
        Assert.Equal("ok", anonymous.GetProperty("session").GetString());
        Assert.Equal("Good", anonymous.GetProperty("read").GetString());
        Assert.Equal("BadUserAccessDenied", anonymous.GetProperty("write").GetString());
        var user = root.GetProperty("user");
        Assert.Equal("ok", user.GetProperty("session").GetString());
        Assert.Equal("Good", user.GetProperty("write").GetString());
        AssertRefused(root.GetProperty("wrongPassword"));
        var byCertificate = root.GetProperty("certificate");
        Assert.Equal("ok", byCertificate.GetProperty("session").GetString());
        Assert.Equal("Good", byCertificate.GetProperty("write").GetString());
        lock (denied)
        {
            Assert.Contains(denied, d => d.Service == "Write" && d.Role == "Anonymous");
            Assert.Contains(denied, d => d.Service == "ActivateSession" && d.UserName == "operator" && d.Status.Code == StatusCodes.BadUserAccessDenied);
        }
    }

    [Fact]
    public async Task Node_opcua_is_refused_an_anonymous_session_where_anonymous_access_is_off()
    {
        var script = NodeOpcUa.Script("client-login.mjs");
        await using var server = StartServer(allowAnonymous: false, []);

        var root = await RunClient(script, server);

        Assert.DoesNotContain(root.GetProperty("policies").EnumerateArray(), p => p.GetProperty("type").GetString() == "Anonymous");
        // node-opcua does not even send an anonymous token to an endpoint without the policy; that our server refuses
        // one sent anyway is proven by UserAuthenticationTests.Without_anonymous_access_an_anonymous_session_is_rejected.
        Assert.Contains("Cannot find ANONYMOUS user token policy", root.GetProperty("anonymous").GetProperty("session").GetString(), StringComparison.Ordinal);
        Assert.Equal("ok", root.GetProperty("user").GetProperty("session").GetString());
        AssertRefused(root.GetProperty("wrongPassword"));
    }

    [Fact]
    public async Task Our_client_logs_in_with_a_user_name_to_a_node_opcua_server_that_requires_one()
    {
        var script = NodeOpcUa.Script("server.mjs");
        var port = PeerPrograms.FreePort();
        await using var peer = ManagedProcess.Start("node", [script, port.ToString(CultureInfo.InvariantCulture), "bridge:peer-pass"], Path.GetDirectoryName(script));
        var url = $"opc.tcp://127.0.0.1:{port}/UA/Peer";

        await using (var anonymous = await NodeOpcUaServerTests.ConnectWhenReadyAsync(url, peer))
        {
            var refused = await Assert.ThrowsAsync<OpcUaException>(() => anonymous.OpenSessionAsync("anonymous"));
            Assert.True(refused.Status.Code is StatusCodes.BadIdentityTokenRejected or StatusCodes.BadIdentityTokenInvalid or StatusCodes.BadUserAccessDenied, refused.Message);
        }
        await using (var wrong = await NodeOpcUaServerTests.ConnectWhenReadyAsync(url, peer, new OpcUaClientOptions { Credentials = UserCredentials.FromUserName("bridge", "nope") }))
        {
            var refused = await Assert.ThrowsAsync<OpcUaException>(() => wrong.OpenSessionAsync("wrong"));
            Assert.True(refused.Status.Code is StatusCodes.BadUserAccessDenied or StatusCodes.BadIdentityTokenRejected, refused.Message);
        }
        await using var client = await NodeOpcUaServerTests.ConnectWhenReadyAsync(url, peer, new OpcUaClientOptions { Credentials = UserCredentials.FromUserName("bridge", "peer-pass") });
        await client.OpenSessionAsync("bridge");
        var unit = (await client.BrowseAsync(NodeId.Of(ObjectIds.ObjectsFolder))).Single(r => r.BrowseName.Name == "Unit");
        Assert.Equal(16.7, (await client.ReadValueAsync(NodeId.Of("Unit.FlowSetpoint", unit.NodeId.NodeId.NamespaceIndex))).Value!.Value);
        await client.CloseAsync();
    }

    private static void AssertRefused(JsonElement attempt)
    {
        var error = attempt.GetProperty("session").GetString()!;
        Assert.True(error.Contains("BadUserAccessDenied", StringComparison.Ordinal) || error.Contains("BadIdentityTokenRejected", StringComparison.Ordinal), error);
    }

    private static async Task<JsonElement> RunClient(string script, OpcUaServer server, Dictionary<string, string>? certificate = null)
    {
        var endpoint = $"opc.tcp://127.0.0.1:{server.Port}/freeopcua/server/";
        var environment = new Dictionary<string, string>(certificate ?? []) { ["THERMALPLANT_TEST_USER"] = "operator", ["THERMALPLANT_TEST_PASSWORD"] = "op-pass" };
        var (exit, output) = await ManagedProcess.RunAsync("node", [script, endpoint, "ns=2;s=Plant.Setpoint"], TimeSpan.FromSeconds(90), Path.GetDirectoryName(script), environment);
        Assert.True(exit == 0, output);
        using var doc = JsonDocument.Parse(output.Split('\n').Last(line => line.StartsWith('{')));
        return doc.RootElement.Clone();
    }

    private static OpcUaServer StartServer(bool allowAnonymous, List<AccessDenied> denied)
    {
        var server = new OpcUaServer(new OpcUaServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            HostName = "127.0.0.1",
            ApplicationCertificate = ServerCertificate,
            Users = new UserAuthenticationOptions
            {
                AllowAnonymous = allowAnonymous,
                Users =
                [
                    new UserAccount { Name = "operator", Role = "Operator", PasswordHash = PasswordHash.Create("op-pass", PasswordHash.MinIterations) },
                    new UserAccount { Name = "engineer", Role = "Engineer", CertificateThumbprint = EngineerCertificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256) },
                ],
            },
        });
        server.AccessDenied += d => { lock (denied) denied.Add(d); };
        var ns = server.AddressSpace.RegisterNamespace("urn:thermalplant:plant");
        server.AddressSpace.AddVariable(NodeId.Of(ObjectIds.ObjectsFolder), new UaVariable(NodeId.Of("Plant.Setpoint", ns), new QualifiedName(ns, "Setpoint"), "Setpoint", NodeId.Of(DataTypeIds.Double)) { AccessLevel = 0x03 })
            .SetValue(new DataValue { Value = Variant.From(10.0) });
        server.Start();
        return server;
    }
}
