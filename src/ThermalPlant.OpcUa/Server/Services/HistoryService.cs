using System.Security.Cryptography;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.History;
using ThermalPlant.OpcUa.Server.Sessions;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Services;

/// <summary>
/// HistoryRead of raw values (Part 4, 5.10.3; Part 11, 6.5.3): start and end inclusive, reversed when the start is
/// after the end or missing, NumValuesPerNode with continuation points kept in the session, bounding values on request.
/// Modified values, processed and at-time reads are not kept and answer BadHistoryOperationUnsupported.
/// </summary>
internal sealed class HistoryService(UaAddressSpace space, IHistoryStore store, int maxNodesPerRead, int maxContinuationPoints)
{
    public HistoryReadResponse Read(HistoryReadRequest request, Session session)
    {
        var nodes = request.NodesToRead ?? [];
        if (nodes.Length == 0) throw new OpcUaException(StatusCodes.BadNothingToDo, "no nodes to read");
        if (nodes.Length > maxNodesPerRead) throw new OpcUaException(StatusCodes.BadTooManyOperations, $"at most {maxNodesPerRead} nodes per HistoryRead");
        if (request.TimestampsToReturn is < TimestampsToReturn.Source or >= TimestampsToReturn.Neither) throw new OpcUaException(StatusCodes.BadTimestampsToReturnInvalid, "history needs source or server timestamps");
        if (request.HistoryReadDetails.Decode() is not ReadRawModifiedDetails details) throw new OpcUaException(StatusCodes.BadHistoryOperationUnsupported, "only raw history is kept");
        if (details.IsReadModified) throw new OpcUaException(StatusCodes.BadHistoryOperationUnsupported, "modified values are not kept");
        var startSet = details.StartTime != DateTime.MinValue;
        var endSet = details.EndTime != DateTime.MinValue;
        if ((!startSet && !endSet) || (details.NumValuesPerNode == 0 && (!startSet || !endSet)))
        {
            throw new OpcUaException(StatusCodes.BadInvalidTimestampArgument, "give two of start time, end time and values per node");
        }

        var results = new HistoryReadResult[nodes.Length];
        for (var i = 0; i < nodes.Length; i++)
        {
            results[i] = request.ReleaseContinuationPoints
                ? Release(nodes[i], session)
                : ReadOne(nodes[i], details, request.TimestampsToReturn, session);
        }
        return new HistoryReadResponse { Results = results, DiagnosticInfos = [] };
    }

    private static HistoryReadResult Release(HistoryReadValueId node, Session session)
    {
        if (node.ContinuationPoint is { Length: > 0 } point) session.HistoryContinuationPoints.TryRemove(Convert.ToHexString(point), out _);
        return Result(StatusCode.Good, null, null);
    }

    private HistoryReadResult ReadOne(HistoryReadValueId item, ReadRawModifiedDetails details, TimestampsToReturn timestamps, Session session)
    {
        if (space.Find(item.NodeId) is not UaVariable variable) return Result(space.Find(item.NodeId) is null ? StatusCodes.BadNodeIdUnknown : StatusCodes.BadHistoryOperationUnsupported, null, null);
        if (UserAccess.Check(variable.AccessLevel, session.Identity, UserAccess.HistoryRead, StatusCodes.BadHistoryOperationUnsupported) is { IsBad: true } refused) return Result(refused, null, null);
        if (item.IndexRange is { Length: > 0 }) return Result(StatusCodes.BadIndexRangeInvalid, null, null);

        var position = 0;
        if (item.ContinuationPoint is { Length: > 0 } point)
        {
            if (!session.HistoryContinuationPoints.TryRemove(Convert.ToHexString(point), out var saved) || saved is not Continuation continuation || continuation.Node != item.NodeId)
            {
                return Result(StatusCodes.BadContinuationPointInvalid, null, null);
            }
            position = continuation.Position;
        }

        var reverse = details.StartTime == DateTime.MinValue || (details.EndTime != DateTime.MinValue && details.StartTime > details.EndTime);
        var (from, to) = details switch
        {
            { StartTime: var s, EndTime: var e } when s == DateTime.MinValue => (DateTime.MinValue, e),
            { StartTime: var s, EndTime: var e } when e == DateTime.MinValue => (s, DateTime.MaxValue),
            { StartTime: var s, EndTime: var e } => s <= e ? (s, e) : (e, s),
        };

        var values = new List<DataValue>();
        if (details.ReturnBounds && position == 0 && Bound(item.NodeId, reverse ? to : from, before: !reverse) is { } firstBound) values.Add(firstBound);
        var boundsBefore = values.Count;
        var limit = details.NumValuesPerNode == 0 ? int.MaxValue : (int)Math.Min(details.NumValuesPerNode, int.MaxValue);
        bool more;
        if (!reverse)
        {
            more = store.ReadRaw(item.NodeId, from, to, position, limit, values);
        }
        else
        {
            // Newest first: read the range and walk it backwards (the store's ring bounds the range).
            var all = new List<DataValue>();
            store.ReadRaw(item.NodeId, from, to, 0, int.MaxValue, all);
            var first = all.Count - 1 - position;
            var taken = 0;
            for (var i = first; i >= 0 && taken < limit; i--, taken++) values.Add(all[i]);
            more = first - taken >= 0;
        }
        var read = values.Count - boundsBefore;
        if (!more && details.ReturnBounds && Bound(item.NodeId, reverse ? from : to, before: reverse) is { } lastBound) values.Add(lastBound);

        byte[]? next = null;
        if (more)
        {
            if (session.HistoryContinuationPoints.Count >= maxContinuationPoints) return Result(StatusCodes.BadNoContinuationPoints, null, null);
            next = RandomNumberGenerator.GetBytes(16);
            session.HistoryContinuationPoints[Convert.ToHexString(next)] = new Continuation(item.NodeId, position + read);
        }
        for (var i = 0; i < values.Count; i++) values[i] = TimestampFilter.Apply(values[i], timestamps, serverNow: null);
        var status = values.Count == 0 ? new StatusCode(StatusCodes.GoodNoData) : StatusCode.Good;
        return Result(status, next, [.. values]);
    }

    /// <summary>
    /// The bounding value at <paramref name="time"/> (Part 11, 4.4), or a BadBoundNotFound placeholder; null when a
    /// value lies exactly on the edge, since the inclusive range returns it already.
    /// </summary>
    private DataValue? Bound(NodeId node, DateTime time, bool before)
    {
        if (time == DateTime.MinValue || time == DateTime.MaxValue) return null;
        var value = before ? store.AtOrBefore(node, time) : store.AtOrAfter(node, time);
        if (value?.SourceTimestamp == time) return null;
        return value ?? new DataValue { Status = StatusCodes.BadBoundNotFound, SourceTimestamp = time, ServerTimestamp = time };
    }


    private static HistoryReadResult Result(StatusCode status, byte[]? continuationPoint, DataValue[]? values) => new()
    {
        StatusCode = status,
        ContinuationPoint = continuationPoint,
        HistoryData = values is null ? ExtensionObject.Null : ExtensionObject.From(new HistoryData { DataValues = values }),
    };

    private sealed record Continuation(NodeId Node, int Position);
}
