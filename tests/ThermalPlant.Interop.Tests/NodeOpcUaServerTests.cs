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
            Assert.Equal(["Counter", "FlowSetpoint", "Mode", "Name"], children.Select(c => c.BrowseName.Name).Order(StringComparer.Ordinal));

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

    [Fact]
    public async Task Our_client_browses_a_deep_tree_of_several_hundred_nodes_reads_it_and_writes_where_allowed()
    {
        var script = NodeOpcUa.Script("server.mjs");
        var port = PeerPrograms.FreePort();
        await using var server = ManagedProcess.Start("node", [script, port.ToString(CultureInfo.InvariantCulture)], Path.GetDirectoryName(script));
        var client = await ConnectWhenReadyAsync($"opc.tcp://127.0.0.1:{port}/UA/Peer", server);
        try
        {
            await client.OpenSessionAsync("thermalplant-deep");
            var objects = await client.BrowseAsync(NodeId.Of(ObjectIds.ObjectsFolder));
            var site = objects.Single(r => r.BrowseName.Name == "Site").NodeId.NodeId;
            var ns = site.NamespaceIndex;

            // Breadth first over hierarchical references, with small pages so BrowseNext is exercised at every level.
            var objectsFound = new List<NodeId>();
            var variables = new List<(NodeId Id, int Depth)>();
            var queue = new Queue<(NodeId Id, int Depth)>([(site, 0)]);
            var seen = new HashSet<NodeId> { site };
            while (queue.TryDequeue(out var current))
            {
                foreach (var reference in await client.BrowseAsync(current.Id, maxReferencesPerCall: 4))
                {
                    var target = reference.NodeId.NodeId;
                    if (target.NamespaceIndex != ns || !seen.Add(target)) continue;
                    if (reference.NodeClass == NodeClass.Variable) variables.Add((target, current.Depth + 1));
                    else
                    {
                        objectsFound.Add(target);
                        queue.Enqueue((target, current.Depth + 1));
                    }
                }
            }
            Assert.Equal(4 + 20 + 60, objectsFound.Count);
            Assert.Equal(360, variables.Count);
            Assert.All(variables, v => Assert.Equal(4, v.Depth));

            var reads = variables.Select(v => new ReadValueId { NodeId = v.Id, AttributeId = (uint)AttributeId.Value }).ToArray();
            var values = await client.ReadAsync(reads);
            Assert.All(values, v => Assert.True(v.Status.IsGood));
            var byId = variables.Select((v, i) => (Id: v.Id.Text!, Value: values[i].Value!.Value)).ToDictionary(p => p.Id, p => p.Value);
            Assert.Equal(312.5, byId["Site.A3.U1.D2.Temperature"]);
            Assert.Equal(241, byId["Site.A2.U4.D1.Count"]);
            Assert.Equal(true, byId["Site.A0.U0.D0.Running"]);
            Assert.Equal("Site.A1.U2.D0", byId["Site.A1.U2.D0.Tag"]);

            var setpoint = NodeId.Of("Site.A1.U2.D0.Setpoint", ns);
            Assert.True((await client.WriteValueAsync(setpoint, Variant.From(42.25))).IsGood);
            Assert.Equal(42.25, (await client.ReadValueAsync(setpoint)).Value!.Value);
            var refused = await client.WriteValueAsync(NodeId.Of("Site.A1.U2.D0.Limit", ns), Variant.From(1.0));
            Assert.Contains(refused.Code, new[] { StatusCodes.BadNotWritable, StatusCodes.BadUserAccessDenied });
            var mismatch = await client.WriteValueAsync(setpoint, Variant.From("not a number"));
            Assert.Equal(StatusCodes.BadTypeMismatch, mismatch.Code);

            await client.CloseAsync();
        }
        finally
        {
            await client.DisposeAsync();
        }
    }

    internal static async Task<OpcUaClient> ConnectWhenReadyAsync(string url, ManagedProcess server, OpcUaClientOptions? options = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                return await OpcUaClient.ConnectAsync(url, options);
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
