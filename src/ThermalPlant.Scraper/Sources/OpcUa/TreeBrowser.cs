using System.Text.RegularExpressions;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;
using StatusCodes = ThermalPlant.OpcUa.Generated.StatusCodes;

namespace ThermalPlant.Scraper.Sources.OpcUa;

/// <summary>A variable found under the root, with its names by the naming rule.</summary>
/// <param name="Node">The variable.</param>
/// <param name="SensorName">The first level under the root.</param>
/// <param name="TagName">The rest of the path, joined with the separator.</param>
internal sealed record FoundVariable(NodeId Node, string SensorName, string TagName);

/// <summary>What one browse found.</summary>
/// <param name="Variables">Numeric and boolean variables (and properties), to collect.</param>
/// <param name="SkippedByType">Variables of other types (strings, structures), not collected, counted per data type name.</param>
/// <param name="NodesVisited">Nodes visited.</param>
/// <param name="Truncated">The browse stopped at MaxNodes, so some nodes were not visited.</param>
internal sealed record BrowseOutcome(IReadOnlyList<FoundVariable> Variables, IReadOnlyDictionary<string, int> SkippedByType, int NodesVisited, bool Truncated)
{
    /// <summary>Variables of other types, not collected.</summary>
    public int Skipped => SkippedByType.Values.Sum();

    /// <summary>The skipped counts as "String 3, LocalizedText 1", most first; "none" when nothing was skipped.</summary>
    public string SkippedText => SkippedByType.Count == 0
        ? "none"
        : string.Join(", ", SkippedByType.OrderByDescending(s => s.Value).ThenBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key} {s.Value}"));
}

/// <summary>
/// Finds the variables of an endpoint: the listed nodes when the endpoint lists them, else those under its root: the root by its browse path, then breadth first over forward
/// hierarchical references, many nodes per request. Properties (HasProperty) are collected as variables too when
/// <see cref="OpcUaEndpointOptions.CollectProperties"/> is on (a foreign server's <c>Motor1/RatedPower</c>), except the
/// standard metadata properties, which describe a variable rather than measure anything; properties are not browsed
/// further. Each node is visited once whatever the number of paths to it (the shortest names it), so cycles end;
/// depth and node count are bounded. Variables are classified by DataType (or by their value when the type is
/// abstract, e.g. BaseDataType).
/// </summary>
internal sealed class TreeBrowser(OpcUaEndpointOptions options)
{
    private const int NodesPerRequest = 250;
    private const int AttributesPerRead = 900;
    private const byte EventNotifierSubscribe = 0x01;

    // Boolean through Double, Number, Integer, UInteger, and Duration (a Double).
    private static readonly HashSet<uint> NumericTypes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 26, 27, 28, 290];
    private static readonly HashSet<uint> AbstractTypes = [24, 26, 27, 28];

    // The properties the specification defines to describe a node (Part 8 Data Access, Part 3 and 5 base and
    // namespace metadata, Part 11 history configuration): never measurements, so never collected, whatever their
    // type, and matched by name in any namespace, for servers that give them their own namespace index.
    private static readonly HashSet<string> MetadataProperties = new(StringComparer.Ordinal)
    {
        "Stepped", "MaxTimeInterval", "MinTimeInterval", "ExceptionDeviation", "ExceptionDeviationFormat", "StartOfArchive",
        "StartOfOnlineArchive", "ServerTimestampSupported", "TreatUncertainAsBad", "PercentDataBad", "PercentDataGood",
        "UseSlopedExtrapolation",
        "EURange", "EngineeringUnits", "InstrumentRange", "ValuePrecision", "Definition", "EnumStrings", "EnumValues",
        "TrueState", "FalseState", "ValueAsText", "AxisScaleType", "AxisDefinition", "XAxisDefinition", "YAxisDefinition",
        "ZAxisDefinition", "EnumDictionaryEntries", "ValueAsDictionaryEntries", "OptionSetValues", "NodeVersion", "ViewVersion",
        "Icon", "LocalTime", "AllowNulls", "MaxStringLength", "MaxCharacters", "MaxByteStringLength", "MaxArrayLength",
        "InputArguments", "OutputArguments", "DataTypeVersion", "DictionaryFragment", "NamingRule", "NamespaceUri",
        "NamespaceVersion", "NamespacePublicationDate", "IsNamespaceSubset", "StaticNodeIdTypes", "StaticNumericNodeIdRange",
        "StaticStringNodeIdPattern", "DefaultRolePermissions", "DefaultUserRolePermissions", "DefaultAccessRestrictions",
    };

    // Names of the built-in types (Part 6), for the log of what was skipped.
    private static readonly string[] BuiltInTypeNames =
    [
        "", "Boolean", "SByte", "Byte", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64", "Float", "Double", "String",
        "DateTime", "Guid", "ByteString", "XmlElement", "NodeId", "ExpandedNodeId", "StatusCode", "QualifiedName",
        "LocalizedText", "Structure", "DataValue", "BaseDataType", "DiagnosticInfo",
    ];

    private readonly Regex[] _include = [.. options.Include.Select(p => new Regex("^" + Regex.Escape(p).Replace("\\*", ".*", StringComparison.Ordinal) + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant))];

    /// <summary>Finds the listed nodes, or browses the tree under the root.</summary>
    public async Task<BrowseOutcome> BrowseAsync(OpcUaClient client, CancellationToken cancellationToken)
    {
        if (options.Nodes.Count > 0)
        {
            // Listed nodes are named as listed; one that does not exist or is not numeric counts as skipped.
            var listed = options.Nodes.Select(n => (NodeId.Parse(n.NodeId), n.SensorName, n.TagName)).ToList();
            var (found, notCollected) = await ClassifyAsync(client, listed, cancellationToken);
            return new BrowseOutcome(found, notCollected, listed.Count, false);
        }
        var root = await ResolveRootAsync(client, cancellationToken);
        var visited = new HashSet<NodeId> { root };
        var candidates = new List<(NodeId Node, string Sensor, string Tag)>();
        var level = new List<(NodeId Node, List<string> Path)> { (root, []) };
        var truncated = false;
        for (var depth = 1; depth <= options.MaxDepth && level.Count > 0 && !truncated; depth++)
        {
            var next = new List<(NodeId Node, List<string> Path)>();
            foreach (var chunk in level.Chunk(NodesPerRequest))
            {
                var references = await BrowseManyAsync(client, [.. chunk.Select(c => c.Node)], cancellationToken);
                for (var i = 0; i < chunk.Length && !truncated; i++)
                {
                    foreach (var reference in references[i])
                    {
                        if (!reference.IsForward || TreeReferences.IsEventHierarchy(reference.ReferenceTypeId)) continue;
                        var property = reference.ReferenceTypeId == NodeId.Of(ReferenceTypeIds.HasProperty);
                        if (property && (!options.CollectProperties || reference.NodeClass != NodeClass.Variable || IsMetadata(reference.BrowseName))) continue;
                        if (reference.NodeId.ServerIndex != 0 || reference.NodeId.NamespaceUri is not null) continue;
                        if (reference.NodeClass is not (NodeClass.Object or NodeClass.Variable)) continue;
                        var name = reference.BrowseName.Name ?? "";
                        if (depth == 1 && _include.Length > 0 && !_include.Any(r => r.IsMatch(name))) continue;
                        var node = reference.NodeId.NodeId;
                        if (!visited.Add(node)) continue;
                        if (visited.Count > options.MaxNodes)
                        {
                            truncated = true;
                            break;
                        }
                        var path = new List<string>(chunk[i].Path) { name };
                        if (reference.NodeClass == NodeClass.Variable)
                        {
                            var (sensor, tag) = Names(path);
                            candidates.Add((node, sensor, tag));
                        }
                        // A property describes its parent; what it has of its own is not browsed.
                        if (!property) next.Add((node, path));
                    }
                }
            }
            level = next;
        }
        var (variables, skipped) = await ClassifyAsync(client, candidates, cancellationToken);
        return new BrowseOutcome(variables, skipped, visited.Count, truncated);
    }

    /// <summary>
    /// The Objects under the root (the root included) whose EventNotifier has SubscribeToEvents, with whether it also
    /// has HistoryRead, breadth first over forward hierarchical references but not the event hierarchy (whose notifiers
    /// report through the one that references them). What lies below a notifier found is not searched: its area's
    /// events reach it. Depth and node count are bounded as for variables.
    /// </summary>
    public async Task<List<(NodeId Node, byte EventNotifier)>> FindEventNotifiersAsync(OpcUaClient client, CancellationToken cancellationToken)
    {
        var root = await ResolveRootAsync(client, cancellationToken);
        var visited = new HashSet<NodeId> { root };
        var notifiers = new List<(NodeId, byte)>();
        var level = new List<NodeId> { root };
        for (var depth = 0; depth <= options.MaxDepth && level.Count > 0; depth++)
        {
            var searched = new List<NodeId>();
            foreach (var chunk in level.Chunk(AttributesPerRead))
            {
                var values = await client.ReadAsync([.. chunk.Select(n => new ReadValueId { NodeId = n, AttributeId = (uint)AttributeId.EventNotifier })], TimestampsToReturn.Neither, cancellationToken);
                for (var i = 0; i < chunk.Length; i++)
                {
                    if (i < values.Length && values[i].Status.IsGood && values[i].Value.Value is byte bits && (bits & EventNotifierSubscribe) != 0) notifiers.Add((chunk[i], bits));
                    else searched.Add(chunk[i]);
                }
            }
            if (depth == options.MaxDepth) break;
            var next = new List<NodeId>();
            foreach (var chunk in searched.Chunk(NodesPerRequest))
            {
                var references = await BrowseManyAsync(client, chunk, cancellationToken);
                foreach (var reference in references.SelectMany(r => r))
                {
                    if (!reference.IsForward || TreeReferences.IsEventHierarchy(reference.ReferenceTypeId) || reference.NodeClass != NodeClass.Object) continue;
                    if (reference.NodeId.ServerIndex != 0 || reference.NodeId.NamespaceUri is not null) continue;
                    if (visited.Count >= options.MaxNodes) return notifiers;
                    if (visited.Add(reference.NodeId.NodeId)) next.Add(reference.NodeId.NodeId);
                }
            }
            level = next;
        }
        return notifiers;
    }

    /// <summary>The names of a variable at <paramref name="path"/> (browse names below the root).</summary>
    public (string SensorName, string TagName) Names(IReadOnlyList<string> path)
    {
        ArgumentNullException.ThrowIfNull(path);
        // Names come from the server: control characters (a NUL in a browse name) cannot be stored as text.
        string Case(string s) => string.Concat((options.LowerCaseNames ? s.ToLowerInvariant() : s).Where(c => !char.IsControl(c)));
        var sensor = Case(path[0]);
        // A variable right under the root has no path below its sensor: it names both.
        var tag = path.Count == 1 ? sensor : Case(string.Join(options.Separator, path.Skip(1)));
        return (sensor, tag);
    }

    private async Task<NodeId> ResolveRootAsync(OpcUaClient client, CancellationToken cancellationToken)
    {
        var node = NodeId.Of(ObjectIds.RootFolder);
        var walked = new List<string>();
        foreach (var name in options.Root.Split('/', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var references = await client.BrowseAsync(node, cancellationToken: cancellationToken);
            // Browse names are matched without their namespace index: the configuration cannot know the server's.
            var match = references.FirstOrDefault(r => string.Equals(r.BrowseName.Name, name, StringComparison.Ordinal))
                ?? references.FirstOrDefault(r => string.Equals(r.BrowseName.Name, name, StringComparison.OrdinalIgnoreCase));
            walked.Add(name);
            if (match is null) throw new OpcUaException(StatusCodes.BadNoMatch, $"the root {options.Root} does not exist on {options.Url}: no node {string.Join('/', walked)}");
            node = match.NodeId.NodeId;
        }
        return node;
    }

    private static async Task<ReferenceDescription[][]> BrowseManyAsync(OpcUaClient client, NodeId[] nodes, CancellationToken cancellationToken)
    {
        var response = await client.CallAsync<BrowseResponse>(new BrowseRequest
        {
            NodesToBrowse = [.. nodes.Select(n => new BrowseDescription
            {
                NodeId = n,
                BrowseDirection = BrowseDirection.Forward,
                ReferenceTypeId = NodeId.Of(ReferenceTypeIds.HierarchicalReferences),
                IncludeSubtypes = true,
                NodeClassMask = (uint)(NodeClass.Object | NodeClass.Variable),
                ResultMask = 63,
            })],
        }, cancellationToken);
        var results = response.Results ?? [];
        if (results.Length != nodes.Length) throw new OpcUaException(StatusCodes.BadUnknownResponse, $"Browse of {nodes.Length} nodes answered {results.Length} results");
        var all = new ReferenceDescription[nodes.Length][];
        for (var i = 0; i < nodes.Length; i++)
        {
            var result = results[i];
            var references = new List<ReferenceDescription>(result.References ?? []);
            // A node the server cannot browse (removed meanwhile, access denied) has no children to collect.
            if (result.StatusCode.IsBad)
            {
                all[i] = [];
                continue;
            }
            var point = result.ContinuationPoint;
            while (point is { Length: > 0 })
            {
                var next = await client.CallAsync<BrowseNextResponse>(new BrowseNextRequest { ContinuationPoints = [point] }, cancellationToken);
                var more = next.Results is [var only] ? only : throw new OpcUaException(StatusCodes.BadUnknownResponse, "BrowseNext answered without one result");
                if (more.StatusCode.IsBad) break;
                references.AddRange(more.References ?? []);
                point = more.ContinuationPoint;
            }
            all[i] = [.. references];
        }
        return all;
    }

    private static async Task<(List<FoundVariable> Variables, Dictionary<string, int> SkippedByType)> ClassifyAsync(OpcUaClient client, List<(NodeId Node, string Sensor, string Tag)> candidates, CancellationToken cancellationToken)
    {
        var variables = new List<FoundVariable>(candidates.Count);
        var skipped = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var chunk in candidates.Chunk(AttributesPerRead / 2))
        {
            var reads = new List<ReadValueId>(chunk.Length * 2);
            foreach (var (node, _, _) in chunk)
            {
                reads.Add(new ReadValueId { NodeId = node, AttributeId = (uint)AttributeId.DataType });
                reads.Add(new ReadValueId { NodeId = node, AttributeId = (uint)AttributeId.Value });
            }
            var values = await client.ReadAsync(reads, TimestampsToReturn.Neither, cancellationToken);
            for (var i = 0; i < chunk.Length; i++)
            {
                var dataType = values.Length > 2 * i ? values[2 * i].Value.Value as NodeId : null;
                DataValue? value = values.Length > (2 * i) + 1 ? values[(2 * i) + 1] : null;
                if (!IsCollected(dataType, value))
                {
                    var type = TypeName(dataType, value);
                    skipped[type] = skipped.GetValueOrDefault(type) + 1;
                    continue;
                }
                variables.Add(new FoundVariable(chunk[i].Node, chunk[i].Sensor, chunk[i].Tag));
            }
        }
        return (variables, skipped);
    }

    /// <summary>
    /// Whether a property is one the specification defines: every standard property's BrowseName is in namespace 0
    /// (a vendor's properties are in its own namespace), and the known metadata names count in any namespace.
    /// </summary>
    private static bool IsMetadata(QualifiedName browseName) => browseName.NamespaceIndex == 0 || MetadataProperties.Contains(browseName.Name ?? "");

    /// <summary>The name a skipped variable is counted under: its DataType, or its value's type when that is abstract.</summary>
    private static string TypeName(NodeId? dataType, DataValue? value)
    {
        if (dataType is null) return "unreadable";
        if (dataType is { NamespaceIndex: 0, IdType: NodeIdType.Numeric } builtIn && builtIn.Numeric < (uint)BuiltInTypeNames.Length)
        {
            // An abstract type (BaseDataType) says less than the value read.
            if (AbstractTypes.Contains(builtIn.Numeric) && value is { } read && !read.Value.IsNull) return read.Value.Type.ToString();
            return BuiltInTypeNames[builtIn.Numeric];
        }
        return dataType.ToString();
    }

    private static bool IsCollected(NodeId? dataType, DataValue? value)
    {
        if (dataType is { NamespaceIndex: 0, IdType: NodeIdType.Numeric } known && NumericTypes.Contains(known.Numeric) && !AbstractTypes.Contains(known.Numeric)) return true;
        // An abstract or unknown type says nothing: the value's own type decides (a Bad value without one is collected
        // only when the type is numeric).
        if (value is not { } read || read.Value.IsNull) return dataType is { NamespaceIndex: 0, IdType: NodeIdType.Numeric } t && NumericTypes.Contains(t.Numeric);
        return ValueConverter.IsStorable(read.Value);
    }
}
