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
/// <c>--security-policy</c>, <c>--security-mode</c> and <c>--store</c> against a server on loopback that offers only
/// Basic256Sha256 SignAndEncrypt and asks for a user (issue 9): each side's certificate refused, then trusted.
/// </summary>
public sealed class OpcUaSecurityCommandTests : IAsyncLifetime
{
    private const string Password = "op-pass";
    private readonly string _directory = Directory.CreateTempSubdirectory("thermalplant-cli-security-").FullName;
    private OpcUaServer _server = null!;

    private string ServerStore => Path.Combine(_directory, "server-pki");

    private string CliStore => Path.Combine(_directory, "cli-pki");

    private string Url => $"opc.tcp://127.0.0.1:{_server.Port}/freeopcua/server/";

    public Task InitializeAsync()
    {
        _server = new OpcUaServer(new OpcUaServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            HostName = "127.0.0.1",
            Security = [new EndpointSecurity(SecurityPolicyUris.Basic256Sha256, MessageSecurityMode.SignAndEncrypt)],
            CertificateStorePath = ServerStore,
            Users = new UserAuthenticationOptions
            {
                AllowAnonymous = false,
                Users = [new UserAccount { Name = "operator", Role = "Operator", PasswordHash = PasswordHash.Create(Password, PasswordHash.MinIterations) }],
            },
        });
        var ns = _server.AddressSpace.RegisterNamespace("urn:thermalplant:plant");
        _server.AddressSpace.AddVariable(NodeId.Of(ObjectIds.ObjectsFolder), new UaVariable(NodeId.Of("Setpoint", ns), new QualifiedName(ns, "Setpoint"), "Setpoint", NodeId.Of(DataTypeIds.Double)) { AccessLevel = 0x03 })
            .SetValue(new DataValue { Value = Variant.From(12.5) });
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Each_side_refuses_the_other_until_its_certificate_is_trusted_then_read_and_write_work_encrypted()
    {
        string[] secured = ["--security-policy", "Basic256Sha256", "--store", CliStore, "--user", "operator"];

        var untrustedServer = await Run(["opcua", "read", Url, "ns=2;s=Setpoint", .. secured]);
        Assert.Equal(3, untrustedServer.Exit);
        var serverThumbprint = TestCertificates.SingleThumbprint(new CertificateStore(CliStore).RejectedCerts);
        Assert.Contains("the server's certificate", untrustedServer.Error, StringComparison.Ordinal);
        Assert.Contains($"thermalplant opcua certificates trust --store {CliStore} {serverThumbprint}", untrustedServer.Error, StringComparison.Ordinal);
        Assert.Equal(0, (await Run("opcua", "certificates", "trust", "--store", CliStore, serverThumbprint)).Exit);

        var untrustedClient = await Run(["opcua", "read", Url, "ns=2;s=Setpoint", .. secured]);
        Assert.Equal(3, untrustedClient.Exit);
        var clientThumbprint = TestCertificates.SingleThumbprint(new CertificateStore(ServerStore).RejectedCerts);
        Assert.Equal(clientThumbprint, TestCertificates.SingleThumbprint(new CertificateStore(CliStore).OwnCerts));
        Assert.Contains("the server does not trust this command line's certificate", untrustedClient.Error, StringComparison.Ordinal);
        Assert.Contains(new CertificateStore(CliStore).OwnCerts, untrustedClient.Error, StringComparison.Ordinal);
        Assert.Contains($"thermalplant opcua certificates trust --store SERVER_STORE {clientThumbprint}", untrustedClient.Error, StringComparison.Ordinal);
        Assert.Equal(0, (await Run("opcua", "certificates", "trust", "--store", ServerStore, clientThumbprint)).Exit);

        Assert.Equal(0, (await Run(["opcua", "write", Url, "ns=2;s=Setpoint", "41.5", .. secured])).Exit);
        var read = await Run(["opcua", "read", Url, "ns=2;s=Setpoint", "--json", .. secured]);
        Assert.Equal(0, read.Exit);
        using var doc = JsonDocument.Parse(read.Output);
        Assert.Equal(41.5, doc.RootElement[0].GetProperty("value").GetDouble());
        Assert.Equal("Good", doc.RootElement[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task Without_a_security_policy_the_none_endpoint_is_asked_for_and_the_server_offers_none()
    {
        var (exit, _, error) = await Run("opcua", "read", Url, "ns=2;s=Setpoint", "--store", CliStore);

        Assert.Equal(1, exit);
        Assert.Contains("BadSecurityPolicyRejected", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(CliStore), "a None connection must not create the store");
    }

    [Theory]
    [InlineData("Basic128Rsa15", null, "--security-policy Basic128Rsa15 is not one of None, Aes128_Sha256_RsaOaep, Basic256Sha256, Aes256_Sha256_RsaPss")]
    [InlineData("None", "SignAndEncrypt", "--security-mode SignAndEncrypt does not go with --security-policy None")]
    [InlineData("Aes256_Sha256_RsaPss", "None", "--security-mode None does not go with --security-policy Aes256_Sha256_RsaPss")]
    public async Task A_policy_this_stack_does_not_implement_or_a_mode_that_does_not_go_with_it_is_a_usage_error(string policy, string? mode, string message)
    {
        string[] args = mode is null ? ["opcua", "read", Url, "ns=2;s=Setpoint", "--security-policy", policy] : ["opcua", "read", Url, "ns=2;s=Setpoint", "--security-policy", policy, "--security-mode", mode];

        var (exit, _, error) = await Run(args);

        Assert.Equal(2, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }


    [Theory]
    [InlineData("browse")]
    [InlineData("read", "ns=2;s=Setpoint")]
    [InlineData("write", "ns=2;s=Setpoint", "1")]
    [InlineData("subscribe", "ns=2;s=Setpoint", "--count", "1")]
    [InlineData("history", "ns=2;s=Setpoint", "--from", "2026-11-30T06:00:00Z")]
    public async Task Every_command_that_connects_takes_the_security_options(string command, params string[] rest)
    {
        var (exit, _, error) = await Run(["opcua", command, Url, .. rest, "--security-policy", "Basic256Sha256", "--security-mode", "Sign", "--store", CliStore]);

        // Sign is not offered (only SignAndEncrypt), so the options reached the endpoint selection.
        Assert.Equal(1, exit);
        Assert.Contains("BadSecurityPolicyRejected", error, StringComparison.Ordinal);
        Assert.Contains("#Basic256Sha256 and Sign over", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Endpoints_lists_a_server_that_offers_no_None_endpoint_over_a_discovery_channel()
    {
        var (exit, output, error) = await Run("opcua", "endpoints", Url, "--json");

        Assert.True(exit == 0, error);
        var endpoint = Assert.Single(JsonSerializer.Deserialize<Dictionary<string, string>[]>(output)!);
        Assert.Equal("SignAndEncrypt", endpoint["security mode"]);
        Assert.Equal(SecurityPolicyUris.Basic256Sha256, endpoint["security policy"]);
        Assert.Equal("UserName", endpoint["user tokens"]);
    }

    private static async Task<(int Exit, string Output, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var root = new RootCommand { OpcUaCommands.Create(output, environment: name => name == LoginOptions.PasswordVariable ? Password : null, error: error) };
        var exit = await root.Parse(args).InvokeAsync();
        return (exit, output.ToString(), error.ToString());
    }
}
