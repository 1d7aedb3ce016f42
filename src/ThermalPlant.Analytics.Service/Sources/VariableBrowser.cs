using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;
using StatusCodes = ThermalPlant.OpcUa.Generated.StatusCodes;

namespace ThermalPlant.Analytics.Service.Sources;

/// <summary>A numeric scalar variable found under an endpoint's root.</summary>
/// <param name="Node">The variable on the endpoint.</param>
/// <param name="Path">Its tag path: the endpoint's prefix, the root's browse name and the browse names below it, joined by '/'.</param>
internal sealed record FoundVariable(NodeId Node, string Path);

/// <summary>
/// Finds the numeric scalar variables under an endpoint's root: the root by its browse path, then breadth first over
/// forward hierarchical references (properties aside: they describe a variable, they are not measurements), each node
/// once, bounded in depth and in the number of variables. Booleans, strings, structures and arrays are not analysed.
/// </summary>
internal sealed class VariableBrowser(AnalyticsEndpointOptions options)
{
    private const int AttributesPerRead = 1000;

    // SByte through Double, Number, Integer, UInteger and Duration (a Double); Boolean (1) is not a measurement to score.
    private static readonly HashSet<uint> NumericTypes = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 26, 27, 28, 290];
    private static readonly HashSet<uint> AbstractTypes = [24, 26, 27, 28];

    /// <summary>Browses the tree; returns the variables found and whether <see cref="AnalyticsEndpointOptions.MaxVariables"/> cut the list.</summary>
    public async Task<(IReadOnlyList<FoundVariable> Variables, bool Truncated)> BrowseAsync(OpcUaClient client, CancellationToken cancellationToken)
    {
        var (root, rootName) = await ResolveRootAsync(client, cancellationToken);
        var prefix = string.IsNullOrEmpty(options.Prefix) ? rootName : $"{options.Prefix}/{rootName}";
        var visited = new HashSet<NodeId> { root };
        var candidates = new List<FoundVariable>();
        var level = new List<(NodeId Node, string Path)> { (root, prefix) };
        for (var depth = 1; depth <= options.MaxDepth && level.Count > 0; depth++)
        {
            var next = new List<(NodeId Node, string Path)>();
            foreach (var (node, path) in level)
            {
                foreach (var reference in await client.BrowseAsync(node, cancellationToken: cancellationToken))
                {
                    if (!reference.IsForward || reference.ReferenceTypeId == NodeId.Of(ReferenceTypeIds.HasProperty) || TreeReferences.IsEventHierarchy(reference.ReferenceTypeId)) continue;
                    if (reference.NodeId.ServerIndex != 0 || reference.NodeId.NamespaceUri is not null) continue;
                    if (reference.NodeClass is not (NodeClass.Object or NodeClass.Variable)) continue;
                    var child = reference.NodeId.NodeId;
                    if (!visited.Add(child)) continue;
                    // Names come from the server: a '/' inside one would make two paths look alike.
                    var name = (reference.BrowseName.Name ?? "").Replace('/', '_');
                    var childPath = $"{path}/{name}";
                    if (reference.NodeClass == NodeClass.Variable) candidates.Add(new FoundVariable(child, childPath));
                    next.Add((child, childPath));
                }
            }
            level = next;
        }
        var numeric = await ClassifyAsync(client, candidates, cancellationToken);
        var truncated = numeric.Count > options.MaxVariables;
        return (truncated ? numeric[..options.MaxVariables] : numeric, truncated);
    }

    private async Task<(NodeId Node, string Name)> ResolveRootAsync(OpcUaClient client, CancellationToken cancellationToken)
    {
        var node = NodeId.Of(ObjectIds.RootFolder);
        var name = "Root";
        foreach (var part in options.Root.Split('/', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var references = await client.BrowseAsync(node, cancellationToken: cancellationToken);
            // Browse names are matched without their namespace index: the configuration cannot know the server's.
            var match = references.FirstOrDefault(r => string.Equals(r.BrowseName.Name, part, StringComparison.Ordinal))
                ?? throw new OpcUaException(StatusCodes.BadNoMatch, $"the root {options.Root} does not exist on {options.Url}: no {part} under {name}");
            node = match.NodeId.NodeId;
            name = match.BrowseName.Name ?? part;
        }
        return (node, name.Replace('/', '_'));
    }

    private static async Task<List<FoundVariable>> ClassifyAsync(OpcUaClient client, List<FoundVariable> candidates, CancellationToken cancellationToken)
    {
        var numeric = new List<FoundVariable>(candidates.Count);
        foreach (var chunk in candidates.Chunk(AttributesPerRead / 3))
        {
            var reads = new List<ReadValueId>(chunk.Length * 3);
            foreach (var candidate in chunk)
            {
                reads.Add(new ReadValueId { NodeId = candidate.Node, AttributeId = (uint)AttributeId.DataType });
                reads.Add(new ReadValueId { NodeId = candidate.Node, AttributeId = (uint)AttributeId.ValueRank });
                reads.Add(new ReadValueId { NodeId = candidate.Node, AttributeId = (uint)AttributeId.Value });
            }
            var values = await client.ReadAsync(reads, TimestampsToReturn.Neither, cancellationToken);
            for (var i = 0; i < chunk.Length && (3 * i) + 2 < values.Length; i++)
            {
                var dataType = values[3 * i].Value.Value as NodeId;
                var rank = values[(3 * i) + 1].Value.Value is int r ? r : -1;
                if (rank >= 0 || !IsNumeric(dataType, values[(3 * i) + 2].Value)) continue;
                numeric.Add(chunk[i]);
            }
        }
        return numeric;
    }

    private static bool IsNumeric(NodeId? dataType, Variant value)
    {
        if (dataType is not { NamespaceIndex: 0, IdType: NodeIdType.Numeric } known || !NumericTypes.Contains(known.Numeric)) return false;
        // An abstract type (Number) says a number is meant; the value, when there is one, must be a scalar number.
        if (AbstractTypes.Contains(known.Numeric)) return value.IsNull || (!value.IsArray && value.TryGetNumber(out _));
        return true;
    }
}
