using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.Benchmarks.Load;

/// <summary>A variable of the OPC UA server service's tree: its node and its path below Objects/Plant.</summary>
/// <param name="Node">The variable's NodeId.</param>
/// <param name="Path">Its browse path below Plant, e.g. <c>Audio/MFCC/Coefficient_0</c>.</param>
internal sealed record PlantVariable(NodeId Node, string Path)
{
    /// <summary>The sensor group (first path level, e.g. <c>Audio</c>), as the server polls and the sensors service samples them.</summary>
    public string Group => Path.Split('/')[0];
}

/// <summary>Finds every variable under Objects/Plant by browsing, as a SCADA client would, rather than from a list kept here.</summary>
internal static class PlantVariables
{
    public static async Task<List<PlantVariable>> BrowseAsync(OpcUaClient client)
    {
        var hierarchical = NodeId.Of(ReferenceTypeIds.HierarchicalReferences);
        var plant = (await client.BrowseAsync(NodeId.Of(ObjectIds.ObjectsFolder), hierarchical))
            .FirstOrDefault(r => r.BrowseName.Name == "Plant" && r.BrowseName.NamespaceIndex != 0)
            ?? throw new InvalidOperationException($"{client.EndpointUrl} has no Objects/Plant");
        var variables = new List<PlantVariable>();
        var queue = new Queue<(NodeId Id, string Path)>([(plant.NodeId.NodeId, "")]);
        while (queue.TryDequeue(out var current))
        {
            // Paged: the spectrum folder holds more bands than a server may return in one answer.
            foreach (var reference in await client.BrowseAsync(current.Id, hierarchical, maxReferencesPerCall: 500))
            {
                // Namespace 0 names are the standard properties (EURange, EngineeringUnits), not sensor values.
                if (reference.BrowseName.NamespaceIndex == 0) continue;
                var path = current.Path.Length == 0 ? reference.BrowseName.Name! : $"{current.Path}/{reference.BrowseName.Name}";
                if (reference.NodeClass == NodeClass.Object) queue.Enqueue((reference.NodeId.NodeId, path));
                else if (reference.NodeClass == NodeClass.Variable) variables.Add(new PlantVariable(reference.NodeId.NodeId, path));
            }
        }
        if (variables.Count == 0) throw new InvalidOperationException($"{client.EndpointUrl} has no variables under Objects/Plant");
        return variables;
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
