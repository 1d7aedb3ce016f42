using System.Net;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Server;

/// <summary>An exception the server did not expect fails one request, not the connection, and is reported.</summary>
public sealed class UnexpectedFailureTests
{
    [Fact]
    public async Task A_host_handler_that_throws_fails_its_request_with_BadInternalError_and_the_connection_stays()
    {
        var failures = new List<ServiceFailed>();
        await using var server = new OpcUaServer(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1" });
        server.ServiceFailed += failed =>
        {
            lock (failures) failures.Add(failed);
        };
        var ns = server.AddressSpace.RegisterNamespace("urn:thermalplant:plant");
        var broken = NodeId.Of("Plant.Broken", ns);
        server.AddressSpace.AddVariable(NodeId.Of(ObjectIds.ObjectsFolder), new UaVariable(broken, new QualifiedName(ns, "Broken"), "Broken", NodeId.Of(DataTypeIds.Double))
        {
            AccessLevel = 0x03,
            WriteHandler = _ => throw new InvalidOperationException("the host's handler has a bug"),
        }).SetValue(new DataValue { Value = Variant.From(1.0) });
        server.Start();
        await using var client = await OpcUaClient.ConnectAsync($"opc.tcp://127.0.0.1:{server.Port}/freeopcua/server/");
        await client.OpenSessionAsync("unexpected");
        var lost = 0;
        client.ConnectionLost += _ => Interlocked.Increment(ref lost);

        var fault = await Assert.ThrowsAsync<OpcUaException>(() => client.WriteValueAsync(broken, Variant.From(2.0)));
        Assert.Equal(StatusCodes.BadInternalError, fault.Status.Code);

        // The same connection and session serve the next request.
        Assert.True((await client.ReadValueAsync(broken)).Status.IsGood);
        Assert.Equal(0, lost);
        Assert.Equal(1, server.SessionCount);
        lock (failures)
        {
            var failed = Assert.Single(failures);
            Assert.Equal("Write", failed.Service);
            Assert.IsType<InvalidOperationException>(failed.Exception);
        }
    }
}
