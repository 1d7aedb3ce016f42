using System.CommandLine;
using System.Net;
using System.Text.Json;
using ThermalPlant.Cli.OpcUa;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.Cli.Tests;

/// <summary>
/// <c>--no-host-name-check</c> against our server on 127.0.0.1 whose certificate names only another host (a server
/// reached through an address its certificate does not list), and <c>--user</c> only where a command logs in.
/// </summary>
public sealed class OpcUaHostNameCheckTests : IAsyncLifetime
{
    private const string OtherHost = "plant-server.invalid";
    private readonly string _directory = Directory.CreateTempSubdirectory("thermalplant-cli-hostname-").FullName;
    private OpcUaServer _server = null!;

    private string CliStore => Path.Combine(_directory, "cli-pki");

    private string Url => $"opc.tcp://127.0.0.1:{_server.Port}/freeopcua/server/";

    public Task InitializeAsync()
    {
        var options = new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = OtherHost };
        var certificate = ApplicationCertificates.Create(options.ApplicationUri, options.ApplicationName, [OtherHost], TimeProvider.System, TimeSpan.FromDays(1));
        Assert.Equal([OtherHost], ApplicationCertificates.DnsNames(certificate));
        Assert.Empty(ApplicationCertificates.IpAddresses(certificate));
        _server = new OpcUaServer(options with
        {
            ApplicationCertificate = certificate,
            Security = [new EndpointSecurity(SecurityPolicyUris.Basic256Sha256, MessageSecurityMode.SignAndEncrypt)],
            CertificateStorePath = Path.Combine(_directory, "server-pki"),
            AutoAcceptUntrustedCertificates = true,
        });
        var ns = _server.AddressSpace.RegisterNamespace("urn:thermalplant:plant");
        _server.AddressSpace.AddVariable(NodeId.Of(ObjectIds.ObjectsFolder), new UaVariable(NodeId.Of("Setpoint", ns), new QualifiedName(ns, "Setpoint"), "Setpoint", NodeId.Of(DataTypeIds.Double)))
            .SetValue(new DataValue { Value = Variant.From(421.25) });
        _server.Start();
        // The command line trusts this server: only the host name stands between them.
        new CertificateStore(CliStore).AddTrusted(certificate);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_certificate_naming_another_host_is_refused_with_a_hint_and_accepted_with_no_host_name_check()
    {
        string[] secured = ["--security-policy", "Basic256Sha256", "--store", CliStore];

        var refused = await Run(["opcua", "read", Url, "ns=2;s=Setpoint", .. secured]);
        Assert.Equal(3, refused.Exit);
        Assert.Contains("BadCertificateHostNameInvalid", refused.Error, StringComparison.Ordinal);
        Assert.Contains(OtherHost, refused.Error, StringComparison.Ordinal);
        Assert.Contains("--no-host-name-check", refused.Error, StringComparison.Ordinal);

        var read = await Run(["opcua", "read", Url, "ns=2;s=Setpoint", "--json", "--no-host-name-check", .. secured]);
        Assert.True(read.Exit == 0, read.Error);
        using var doc = JsonDocument.Parse(read.Output);
        Assert.Equal(421.25, doc.RootElement[0].GetProperty("value").GetDouble());
        Assert.Contains("\"value\":421.25,", read.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void User_and_the_connection_options_appear_only_on_the_commands_that_connect()
    {
        var opcua = OpcUaCommands.Create(TextWriter.Null, TextReader.Null, _ => null, TextWriter.Null);
        string[] connecting = ["endpoints", "browse", "read", "write", "subscribe", "history", "events", "alarms", "ack", "call"];
        foreach (var command in Walk(opcua))
        {
            var options = command.Options.Select(o => o.Name).ToHashSet();
            var connects = connecting.Contains(command.Name) && command.Parents.Contains(opcua);
            Assert.True(connects == options.Contains("--user"), $"{command.Name}: --user {(connects ? "missing" : "present")}");
            Assert.True(connects == options.Contains("--no-host-name-check"), $"{command.Name}: --no-host-name-check {(connects ? "missing" : "present")}");
            Assert.False(command.Options.Any(o => o.Recursive && o.Name == "--user"), command.Name);
        }
        Assert.Equal(connecting.Order(), opcua.Subcommands.Where(c => c.Options.Any(o => o.Name == "--user")).Select(c => c.Name).Order());
    }

    private static IEnumerable<Command> Walk(Command command)
    {
        yield return command;
        foreach (var child in command.Subcommands.SelectMany(Walk)) yield return child;
    }

    private static async Task<(int Exit, string Output, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var root = new RootCommand { OpcUaCommands.Create(output, null, _ => null, error) };
        var exit = await root.Parse(args).InvokeAsync();
        return (exit, output.ToString(), error.ToString());
    }
}
