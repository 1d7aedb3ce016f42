using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Sessions;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Services;

/// <summary>
/// The View service set's Browse and BrowseNext (Part 4, 5.8): references filtered by direction, reference type
/// (with subtypes), node class mask and result mask; more than RequestedMaxReferencesPerNode leave a
/// continuation point in the session, at most <c>maxContinuationPoints</c> at a time (then BadNoContinuationPoints, as
/// open62541 answers). A client asking for all references (0) gets at most <c>maxReferencesPerNode</c> per node at once.
/// </summary>
internal sealed class ViewService(UaAddressSpace space, int maxNodesPerBrowse, int maxContinuationPoints, int maxReferencesPerNode)
{
    public BrowseResponse Browse(BrowseRequest request, Session session)
    {
        var nodes = request.NodesToBrowse ?? [];
        if (nodes.Length == 0) throw new OpcUaException(StatusCodes.BadNothingToDo, "no nodes to browse");
        if (nodes.Length > maxNodesPerBrowse) throw new OpcUaException(StatusCodes.BadTooManyOperations, $"at most {maxNodesPerBrowse} nodes per Browse");
        if (!request.View.ViewId.IsNull) throw new OpcUaException(StatusCodes.BadViewIdUnknown, "the server has no views");
        var results = new BrowseResult[nodes.Length];
        for (var i = 0; i < nodes.Length; i++)
        {
            var perNode = request.RequestedMaxReferencesPerNode == 0 ? (uint)maxReferencesPerNode : Math.Min(request.RequestedMaxReferencesPerNode, (uint)maxReferencesPerNode);
            results[i] = BrowseOne(nodes[i], perNode, session);
        }
        return new BrowseResponse { Results = results };
    }

    public BrowseNextResponse BrowseNext(BrowseNextRequest request, Session session)
    {
        var points = request.ContinuationPoints ?? [];
        if (points.Length == 0) throw new OpcUaException(StatusCodes.BadNothingToDo, "no continuation points");
        var results = new BrowseResult[points.Length];
        for (var i = 0; i < points.Length; i++)
        {
            var key = points[i] is { } bytes ? Convert.ToHexString(bytes) : "";
            if (!session.ContinuationPoints.TryRemove(key, out var continuation))
            {
                results[i] = new BrowseResult { StatusCode = StatusCodes.BadContinuationPointInvalid };
                continue;
            }
            results[i] = request.ReleaseContinuationPoints ? new BrowseResult { References = [] } : Page(continuation.Remaining, continuation.MaxReferences, session);
        }
        return new BrowseNextResponse { Results = results };
    }

    /// <summary>Follows each relative path from its starting node (Part 4, 5.8.4); several targets may match.</summary>
    public TranslateBrowsePathsToNodeIdsResponse Translate(TranslateBrowsePathsToNodeIdsRequest request)
    {
        var paths = request.BrowsePaths ?? [];
        if (paths.Length == 0) throw new OpcUaException(StatusCodes.BadNothingToDo, "no browse paths");
        if (paths.Length > maxNodesPerBrowse) throw new OpcUaException(StatusCodes.BadTooManyOperations, $"at most {maxNodesPerBrowse} paths per call");
        var results = new BrowsePathResult[paths.Length];
        for (var i = 0; i < paths.Length; i++)
        {
            results[i] = TranslateOne(paths[i]);
        }
        return new TranslateBrowsePathsToNodeIdsResponse { Results = results };
    }

    private BrowsePathResult TranslateOne(BrowsePath path)
    {
        if (space.Find(path.StartingNode) is null) return new BrowsePathResult { StatusCode = StatusCodes.BadNodeIdUnknown };
        var elements = path.RelativePath.Elements ?? [];
        if (elements.Length == 0) return new BrowsePathResult { StatusCode = StatusCodes.BadNothingToDo };
        List<NodeId> current = [path.StartingNode];
        foreach (var element in elements)
        {
            if (string.IsNullOrEmpty(element.TargetName.Name)) return new BrowsePathResult { StatusCode = StatusCodes.BadBrowseNameInvalid };
            var next = new List<NodeId>();
            foreach (var nodeId in current)
            {
                foreach (var reference in space.Find(nodeId)?.References ?? [])
                {
                    if (reference.IsForward == element.IsInverse) continue;
                    var type = element.ReferenceTypeId;
                    if (!type.IsNull && !(reference.ReferenceTypeId == type || (element.IncludeSubtypes && space.IsSubtypeOf(reference.ReferenceTypeId, type)))) continue;
                    if (space.Find(reference.TargetId) is { } target && target.BrowseName == element.TargetName) next.Add(target.NodeId);
                }
            }
            if (next.Count == 0) return new BrowsePathResult { StatusCode = StatusCodes.BadNoMatch };
            current = next;
        }
        return new BrowsePathResult { Targets = [.. current.Select(id => new BrowsePathTarget { TargetId = new ExpandedNodeId(id), RemainingPathIndex = uint.MaxValue })] };
    }

    private BrowseResult BrowseOne(BrowseDescription description, uint maxReferences, Session session)
    {
        var node = space.Find(description.NodeId);
        if (node is null) return new BrowseResult { StatusCode = StatusCodes.BadNodeIdUnknown };
        if (description.BrowseDirection is < BrowseDirection.Forward or > BrowseDirection.Both) return new BrowseResult { StatusCode = StatusCodes.BadBrowseDirectionInvalid };
        var filterType = description.ReferenceTypeId;
        if (!filterType.IsNull && space.Find(filterType) is not { NodeClass: NodeClass.ReferenceType })
        {
            return new BrowseResult { StatusCode = StatusCodes.BadReferenceTypeIdInvalid };
        }
        var matches = new List<ReferenceDescription>();
        foreach (var reference in node.References)
        {
            if (description.BrowseDirection == BrowseDirection.Forward && !reference.IsForward) continue;
            if (description.BrowseDirection == BrowseDirection.Inverse && reference.IsForward) continue;
            if (!filterType.IsNull && !(reference.ReferenceTypeId == filterType || (description.IncludeSubtypes && space.IsSubtypeOf(reference.ReferenceTypeId, filterType)))) continue;
            var target = space.Find(reference.TargetId);
            if (target is null) continue;
            if (description.NodeClassMask != 0 && (description.NodeClassMask & (uint)target.NodeClass) == 0) continue;
            matches.Add(Describe(reference, target, description.ResultMask));
        }
        return Page([.. matches], maxReferences, session);
    }

    private BrowseResult Page(ReferenceDescription[] references, uint maxReferences, Session session)
    {
        if (maxReferences == 0 || references.Length <= maxReferences) return new BrowseResult { References = references };
        if (session.ContinuationPoints.Count >= maxContinuationPoints) return new BrowseResult { StatusCode = StatusCodes.BadNoContinuationPoints };
        var id = Guid.NewGuid().ToByteArray();
        session.ContinuationPoints[Convert.ToHexString(id)] = new BrowseContinuation(references[(int)maxReferences..], maxReferences);
        return new BrowseResult { References = references[..(int)maxReferences], ContinuationPoint = id };
    }

    // Result mask bits (Part 4, 5.8.2): 1 ReferenceType, 2 IsForward, 4 NodeClass, 8 BrowseName, 16 DisplayName, 32 TypeDefinition.
    private static ReferenceDescription Describe(UaReference reference, UaNode target, uint mask) => new()
    {
        ReferenceTypeId = (mask & 0x01) != 0 ? reference.ReferenceTypeId : NodeId.Null,
        IsForward = reference.IsForward,
        NodeId = new ExpandedNodeId(target.NodeId),
        NodeClass = (mask & 0x04) != 0 ? target.NodeClass : NodeClass.Unspecified,
        BrowseName = (mask & 0x08) != 0 ? target.BrowseName : default,
        DisplayName = (mask & 0x10) != 0 ? target.DisplayName : default,
        TypeDefinition = (mask & 0x20) != 0 && target.TypeDefinition is { } type ? new ExpandedNodeId(type) : ExpandedNodeId.Null,
    };
}
