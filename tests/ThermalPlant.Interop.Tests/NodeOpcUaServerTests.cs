using System.Globalization;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Testing;

namespace ThermalPlant.Interop.Tests;

/// <summary>Our client against node-opcua's server.</summary>
public sealed class NodeOpcUaServerTests
{
    [Fact]
    public async Task Our_client_discovers_browses_and_reads_a_node_opcua_server()
    {
        var script = NodeOpcUa.Script("server.mjs");
        if (script is null) return;
        var port = PeerPrograms.FreePort();
        await using var server = ManagedProcess.Start("node", [script, port.ToString(CultureInfo.InvariantCulture)], Path.GetDirectoryName(script));
        var url = $"opc.tcp://127.0.0.1:{port}/UA/Peer";
        var client = await ConnectWhenReadyAsync(url, server);
        try
        {
            var endpoints = await client.GetEndpointsAsync();
            Assert.Contains(endpoints, e => e.SecurityMode == MessageSecurityMode.None);
            await client.OpenSessionAsync("thermalplant-interop");

            var objects = await client.BrowseAsync(NodeId.Of(ObjectIds.ObjectsFolder));
            var unit = objects.Single(r => r.BrowseName.Name == "Unit");
            Assert.Contains(objects, r => r.BrowseName.Name == "Server");

            var children = await client.BrowseAsync(unit.NodeId.NodeId);
            Assert.Equal(["FlowSetpoint", "Mode", "Name"], children.Select(c => c.BrowseName.Name).Order(StringComparer.Ordinal));

            var ns = unit.NodeId.NodeId.NamespaceIndex;
            var values = await client.ReadAsync(
            [
                new ReadValueId { NodeId = NodeId.Of("Unit.FlowSetpoint", ns), AttributeId = (uint)AttributeId.Value },
                new ReadValueId { NodeId = NodeId.Of("Unit.Mode", ns), AttributeId = (uint)AttributeId.Value },
                new ReadValueId { NodeId = NodeId.Of("Unit.Name", ns), AttributeId = (uint)AttributeId.Value },
                new ReadValueId { NodeId = NodeId.Of("Unit.FlowSetpoint", ns), AttributeId = (uint)AttributeId.DataType },
                new ReadValueId { NodeId = NodeId.Of("Unit.Missing", ns), AttributeId = (uint)AttributeId.Value },
            ]);
            Assert.Equal(16.7, values[0].Value!.Value);
            Assert.Equal(3, values[1].Value!.Value);
            Assert.Equal("methanation", values[2].Value!.Value);
            Assert.Equal(NodeId.Of(DataTypeIds.Double), values[3].Value!.Value);
            Assert.Equal(StatusCodes.BadNodeIdUnknown, values[4].Status.Code);

            var many = await client.BrowseAsync(NodeId.Of("Many", ns), maxReferencesPerCall: 7);
            Assert.Equal(40, many.Count(r => r.NodeClass == NodeClass.Variable));

            await client.CloseAsync();
        }
        finally
        {
            await client.DisposeAsync();
        }
    }

    private static async Task<OpcUaClient> ConnectWhenReadyAsync(string url, ManagedProcess server)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                return await OpcUaClient.ConnectAsync(url);
            }
            catch (OpcUaException) when (DateTime.UtcNow < deadline && !server.HasExited)
            {
                await Task.Delay(250);
            }
            catch (OpcUaException ex)
            {
                Assert.Fail($"node-opcua server did not accept a connection: {ex.Message}\n{server.Output}");
                throw;
            }
        }
    }
}
