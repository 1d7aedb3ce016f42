using System.CommandLine;
using System.Net;
using ThermalPlant.Cli.OpcUa;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Testing;

namespace ThermalPlant.Cli.Tests;

/// <summary><c>thermalplant opcua hash-password</c> and <c>--user</c> against a real server with users on loopback.</summary>
public sealed class OpcUaUserCommandTests
{
    [Fact]
    public async Task Hash_password_reads_the_password_from_standard_input_and_prints_a_hash_that_verifies()
    {
        var (exit, output) = await Run("hunter2 two\n", null, "opcua", "hash-password", "--iterations", "10000");

        Assert.Equal(0, exit);
        var hash = output.Trim();
        Assert.StartsWith("pbkdf2-sha256:10000:", hash, StringComparison.Ordinal);
        Assert.True(PasswordHash.Verify("hunter2 two"u8, hash));
    }

    [Fact]
    public async Task Hash_password_takes_an_argument_and_refuses_an_empty_password_or_too_few_iterations()
    {
        var (exit, output) = await Run("", null, "opcua", "hash-password", "given", "--iterations", "10000");
        Assert.Equal(0, exit);
        Assert.True(PasswordHash.Verify("given"u8, output.Trim()));

        Assert.Equal(2, (await Run("", null, "opcua", "hash-password")).Exit);
        Assert.Equal(2, (await Run("", null, "opcua", "hash-password", "given", "--iterations", "5")).Exit);
    }

    [Fact]
    public async Task Write_logs_in_with_user_and_the_password_from_the_environment()
    {
        using var certificate = TestCertificates.Create("server");
        await using var server = new OpcUaServer(new OpcUaServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            HostName = "127.0.0.1",
            ApplicationCertificate = certificate,
            Users = new UserAuthenticationOptions { Users = [new UserAccount { Name = "operator", Role = "Operator", PasswordHash = PasswordHash.Create("op-pass", PasswordHash.MinIterations) }] },
        });
        var ns = server.AddressSpace.RegisterNamespace("urn:thermalplant:plant");
        server.AddressSpace.AddVariable(NodeId.Of(ObjectIds.ObjectsFolder), new UaVariable(NodeId.Of("Setpoint", ns), new QualifiedName(ns, "Setpoint"), "Setpoint", NodeId.Of(DataTypeIds.Double)) { AccessLevel = 0x03 })
            .SetValue(new DataValue { Value = Variant.From(1.0) });
        server.Start();
        var url = $"opc.tcp://127.0.0.1:{server.Port}/freeopcua/server/";

        Assert.Equal(1, (await Run("", null, "opcua", "write", url, "ns=2;s=Setpoint", "3")).Exit);
        Assert.Equal(2, (await Run("", null, "opcua", "write", url, "ns=2;s=Setpoint", "3", "--user", "operator")).Exit);
        Assert.Equal(1, (await Run("", "wrong", "opcua", "write", url, "ns=2;s=Setpoint", "3", "--user", "operator")).Exit);
        var (exit, output) = await Run("", "op-pass", "opcua", "write", url, "ns=2;s=Setpoint", "3", "--user", "operator");
        Assert.Equal(0, exit);
        Assert.Equal("Good", output.Trim());
    }

    private static async Task<(int Exit, string Output)> Run(string input, string? password, params string[] args)
    {
        using var output = new StringWriter();
        using var stdin = new StringReader(input);
        var root = new RootCommand { OpcUaCommands.Create(output, stdin, name => name == LoginOptions.PasswordVariable ? password : null) };
        var exit = await root.Parse(args).InvokeAsync();
        return (exit, output.ToString());
    }
}
