using System.Security.Cryptography;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Events;
using ThermalPlant.OpcUa.Server.History;
using ThermalPlant.OpcUa.Server.Sessions;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Services;

/// <summary>
/// HistoryRead of raw values (Part 4, 5.10.3; Part 11, 6.5.3): start and end inclusive, reversed when the start is
/// after the end or missing, NumValuesPerNode with continuation points kept in the session, bounding values on request.
/// Modified values, processed and at-time reads are not kept and answer BadHistoryOperationUnsupported.
/// A response is bounded whatever the client asks (0 values per node included): at most
/// <see cref="OpcUaServerOptions.MaxHistoryValuesPerNode"/> values per node, <see cref="OpcUaServerOptions.MaxHistoryValuesPerResponse"/>
/// in all, and an encoded size, counted value by value while it is built, within the message size the client accepts;
/// the rest is behind a continuation point. A session holds at most <see cref="OpcUaServerOptions.MaxContinuationPoints"/>
/// history points: the oldest from an earlier request is released to make room (Part 4, 7.9, as the OPC Foundation
/// stack does), and when all were given in this request the node answers BadNoContinuationPoints.
/// Events (ReadEventDetails, Part 11, 6.5.2) are read from the notifiers' event history with the same bounds: the
/// request's EventFilter selects the fields and its where clause the events, and a continuation point goes on after
/// the last event examined, so events dropped or added in between move no page.
/// </summary>
internal sealed class HistoryService(UaAddressSpace space, IHistoryStore store, EventManager events, OpcUaServerOptions options)
{
    /// <summary>Events taken from the store at a time while a page is filled.</summary>
    private const int EventChunk = 256;

    /// <summary>What a response needs besides its values: its headers, and per node a result, a status and a point.</summary>
    private const int ResponseOverhead = 1024;
    private const int NodeOverhead = 64;

    private long _requests;
    private long _points;

    /// <summary>Serves one HistoryRead whose encoded response must stay within <paramref name="maxResponseBytes"/>.</summary>
    public HistoryReadResponse Read(HistoryReadRequest request, Session session, long maxResponseBytes)
    {
        var nodes = request.NodesToRead ?? [];
        if (nodes.Length == 0) throw new OpcUaException(StatusCodes.BadNothingToDo, "no nodes to read");
        if (nodes.Length > options.MaxNodesPerOperation) throw new OpcUaException(StatusCodes.BadTooManyOperations, $"at most {options.MaxNodesPerOperation} nodes per HistoryRead");
        var decoded = request.HistoryReadDetails.Decode();
        if (decoded is ReadEventDetails eventDetails) return ReadEvents(request, eventDetails, session, maxResponseBytes);
        if (request.TimestampsToReturn is < TimestampsToReturn.Source or >= TimestampsToReturn.Neither) throw new OpcUaException(StatusCodes.BadTimestampsToReturnInvalid, "history needs source or server timestamps");
        if (decoded is not ReadRawModifiedDetails details) throw new OpcUaException(StatusCodes.BadHistoryOperationUnsupported, "only raw history and events are kept");
        if (details.IsReadModified) throw new OpcUaException(StatusCodes.BadHistoryOperationUnsupported, "modified values are not kept");
        var startSet = details.StartTime != DateTime.MinValue;
        var endSet = details.EndTime != DateTime.MinValue;
        if ((!startSet && !endSet) || (details.NumValuesPerNode == 0 && (!startSet || !endSet)))
        {
            throw new OpcUaException(StatusCodes.BadInvalidTimestampArgument, "give two of start time, end time and values per node");
        }

        var results = new HistoryReadResult[nodes.Length];
        var budget = new Budget(maxResponseBytes - ResponseOverhead - ((long)nodes.Length * NodeOverhead), options.MaxHistoryValuesPerResponse);
        var requestNumber = Interlocked.Increment(ref _requests);
        for (var i = 0; i < nodes.Length; i++)
        {
            results[i] = request.ReleaseContinuationPoints
                ? Release(nodes[i], session)
                : ReadOne(nodes[i], details, request.TimestampsToReturn, session, budget, requestNumber);
        }
        return new HistoryReadResponse { Results = results, DiagnosticInfos = [] };
    }

    private static HistoryReadResult Release(HistoryReadValueId node, Session session)
    {
        if (node.ContinuationPoint is { Length: > 0 } point) session.HistoryContinuationPoints.TryRemove(Convert.ToHexString(point), out _);
        return Result(StatusCode.Good, null, null);
    }

    private HistoryReadResult ReadOne(HistoryReadValueId item, ReadRawModifiedDetails details, TimestampsToReturn timestamps, Session session, Budget budget, long requestNumber)
    {
        if (space.Find(item.NodeId) is not UaVariable variable) return Result(space.Find(item.NodeId) is null ? StatusCodes.BadNodeIdUnknown : StatusCodes.BadHistoryOperationUnsupported, null, null);
        if (UserAccess.Check(variable.AccessLevel, session.Identity, UserAccess.HistoryRead, StatusCodes.BadHistoryOperationUnsupported) is { IsBad: true } refused) return Result(refused, null, null);
        if (item.IndexRange is { Length: > 0 }) return Result(StatusCodes.BadIndexRangeInvalid, null, null);

        var position = 0;
        if (item.ContinuationPoint is { Length: > 0 } point)
        {
            if (!session.HistoryContinuationPoints.TryRemove(Convert.ToHexString(point), out var saved) || saved is not Continuation continuation
                || continuation is EventContinuation || continuation.Node != item.NodeId)
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
        // The server's own bound holds even when the client asks for everything (0), and so does what the response has left.
        var limit = (int)Math.Min(details.NumValuesPerNode == 0 ? uint.MaxValue : details.NumValuesPerNode, (uint)options.MaxHistoryValuesPerNode);
        limit = Math.Min(limit, budget.ValuesLeft);
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

        // The response's size, counted as values are taken: the first that does not fit ends this node's page (bounds
        // are small and always go).
        var kept = boundsBefore;
        for (var i = 0; i < values.Count; i++)
        {
            values[i] = TimestampFilter.Apply(values[i], timestamps, serverNow: null);
            var isBound = i < boundsBefore;
            if (!budget.Take(EncodedSize(values[i]), isBound) && !isBound) break;
            if (!isBound) kept++;
        }
        if (kept < values.Count)
        {
            values.RemoveRange(kept, values.Count - kept);
            more = true;
        }
        var read = values.Count - boundsBefore;
        if (!more && details.ReturnBounds && Bound(item.NodeId, reverse ? from : to, before: reverse) is { } lastBound)
        {
            lastBound = TimestampFilter.Apply(lastBound, timestamps, serverNow: null);
            budget.Take(EncodedSize(lastBound), isBound: true);
            values.Add(lastBound);
        }

        byte[]? next = null;
        if (more)
        {
            if (!MakeRoom(session, requestNumber)) return Result(StatusCodes.BadNoContinuationPoints, null, null);
            next = RandomNumberGenerator.GetBytes(16);
            session.HistoryContinuationPoints[Convert.ToHexString(next)] = new Continuation(item.NodeId, position + read, requestNumber, Interlocked.Increment(ref _points));
        }
        var status = values.Count == 0 ? new StatusCode(StatusCodes.GoodNoData) : StatusCode.Good;
        return Result(status, next, [.. values]);
    }

    /// <summary>Serves a HistoryRead of events: the filter is checked once, then each notifier is read.</summary>
    private HistoryReadResponse ReadEvents(HistoryReadRequest request, ReadEventDetails details, Session session, long maxResponseBytes)
    {
        var nodes = request.NodesToRead!;
        if (request.TimestampsToReturn is < TimestampsToReturn.Source or > TimestampsToReturn.Neither) throw new OpcUaException(StatusCodes.BadTimestampsToReturnInvalid, "no such timestamps to return");
        var startSet = details.StartTime != DateTime.MinValue;
        var endSet = details.EndTime != DateTime.MinValue;
        if ((!startSet && !endSet) || (details.NumValuesPerNode == 0 && (!startSet || !endSet)))
        {
            throw new OpcUaException(StatusCodes.BadInvalidTimestampArgument, "give two of start time, end time and values per node");
        }
        var filterStatus = CompiledEventFilter.TryCompile(details.Filter ?? new EventFilter(), events.Types, out var filter, out var filterResult);

        var results = new HistoryReadResult[nodes.Length];
        var budget = new Budget(maxResponseBytes - ResponseOverhead - ((long)nodes.Length * NodeOverhead), options.MaxHistoryValuesPerResponse);
        var requestNumber = Interlocked.Increment(ref _requests);
        for (var i = 0; i < nodes.Length; i++)
        {
            if (request.ReleaseContinuationPoints) results[i] = Release(nodes[i], session);
            // A bad filter says which clause failed and why, as a monitored item's does, in place of the events.
            else if (filterStatus.IsBad) results[i] = new HistoryReadResult { StatusCode = filterStatus, HistoryData = ExtensionObject.From(filterResult) };
            else results[i] = ReadEventsOne(nodes[i], details, filter!, session, budget, requestNumber);
        }
        return new HistoryReadResponse { Results = results, DiagnosticInfos = [] };
    }

    private HistoryReadResult ReadEventsOne(HistoryReadValueId item, ReadEventDetails details, CompiledEventFilter filter, Session session, Budget budget, long requestNumber)
    {
        var node = space.Find(item.NodeId);
        if (node is null) return Result(StatusCodes.BadNodeIdUnknown, null, null);
        if (!EventManager.IsNotifier(node)) return Result(StatusCodes.BadHistoryOperationUnsupported, null, null);
        if (UserAccess.Check(node.EventNotifier, session.Identity, EventManager.HistoryRead, StatusCodes.BadHistoryOperationUnsupported) is { IsBad: true } refused) return Result(refused, null, null);
        if (item.IndexRange is { Length: > 0 }) return Result(StatusCodes.BadIndexRangeInvalid, null, null);

        EventHistoryPosition? after = null;
        if (item.ContinuationPoint is { Length: > 0 } point)
        {
            if (!session.HistoryContinuationPoints.TryRemove(Convert.ToHexString(point), out var saved) || saved is not EventContinuation continuation || continuation.Node != item.NodeId)
            {
                return Result(StatusCodes.BadContinuationPointInvalid, null, null);
            }
            after = continuation.After;
            // The filter of the first request holds for the whole read (Part 11, 6.5.2).
            filter = continuation.Filter;
        }

        var start = details.StartTime;
        var end = details.EndTime;
        var newestFirst = start == DateTime.MinValue || (end != DateTime.MinValue && start > end);
        var (from, to) = (start == DateTime.MinValue, end == DateTime.MinValue) switch
        {
            (true, _) => (DateTime.MinValue, end),
            (_, true) => (start, DateTime.MaxValue),
            _ => start <= end ? (start, end) : (end, start),
        };
        var limit = (int)Math.Min(details.NumValuesPerNode == 0 ? uint.MaxValue : details.NumValuesPerNode, (uint)options.MaxHistoryValuesPerNode);
        limit = Math.Min(limit, budget.ValuesLeft);

        var list = new List<HistoryEventFieldList>();
        var chunk = new List<StoredEvent>(EventChunk);
        var more = true;
        while (more)
        {
            chunk.Clear();
            more = events.History.Read(item.NodeId, from, to, after, newestFirst, EventChunk, chunk);
            var full = false;
            foreach (var stored in chunk)
            {
                if (list.Count == limit)
                {
                    full = true;
                    break;
                }
                var e = stored.Event;
                if (filter.Matches(e))
                {
                    var fields = new HistoryEventFieldList { EventFields = filter.Select(e) };
                    if (!budget.Take(EncodedSize(fields)))
                    {
                        full = true;
                        break;
                    }
                    list.Add(fields);
                }
                after = stored.Position;
            }
            if (full)
            {
                more = true;
                break;
            }
            if (chunk.Count == 0) more = false;
        }

        byte[]? next = null;
        if (more)
        {
            if (!MakeRoom(session, requestNumber)) return Result(StatusCodes.BadNoContinuationPoints, null, null);
            next = RandomNumberGenerator.GetBytes(16);
            session.HistoryContinuationPoints[Convert.ToHexString(next)] = new EventContinuation(item.NodeId, after, filter, requestNumber, Interlocked.Increment(ref _points));
        }
        var status = list.Count == 0 ? new StatusCode(StatusCodes.GoodNoData) : StatusCode.Good;
        return new HistoryReadResult
        {
            StatusCode = status,
            ContinuationPoint = next,
            HistoryData = ExtensionObject.From(new HistoryEvent { Events = [.. list] }),
        };
    }

    private static int EncodedSize(HistoryEventFieldList fields)
    {
        using var encoder = new BinaryEncoder(256);
        fields.Encode(encoder);
        return encoder.Length;
    }

    /// <summary>
    /// Room for one more history continuation point in <paramref name="session"/>: when all are held, the oldest one
    /// given by an earlier request is released (Part 4, 7.9: a server frees points of prior requests when it needs
    /// them); false when every point held was given by this request.
    /// </summary>
    private bool MakeRoom(Session session, long requestNumber)
    {
        var points = session.HistoryContinuationPoints;
        while (points.Count >= options.MaxContinuationPoints)
        {
            string? oldest = null;
            var oldestNumber = long.MaxValue;
            foreach (var (key, value) in points)
            {
                if (value is Continuation c && c.Request < requestNumber && c.Number < oldestNumber)
                {
                    oldest = key;
                    oldestNumber = c.Number;
                }
            }
            if (oldest is null) return false;
            points.TryRemove(oldest, out _);
        }
        return true;
    }

    private static int EncodedSize(DataValue value)
    {
        using var encoder = new BinaryEncoder(64);
        encoder.WriteDataValue(value);
        return encoder.Length;
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

    /// <summary>Where a node's read goes on, which request gave the point, and the point's number in the order given.</summary>
    private record Continuation(NodeId Node, int Position, long Request, long Number);

    /// <summary>Where a notifier's event read goes on: after the last event examined, with the first request's filter.</summary>
    private sealed record EventContinuation(NodeId Node, EventHistoryPosition? After, CompiledEventFilter Filter, long Request, long Number)
        : Continuation(Node, 0, Request, Number);

    /// <summary>
    /// What one response has left: bytes of its encoded values and a count of values. The first value of a response
    /// is always taken, so that a read goes forward even when one value is larger than the budget.
    /// </summary>
    private sealed class Budget(long bytes, int values)
    {
        private bool _empty = true;

        public int ValuesLeft => values;

        /// <summary>
        /// Counts a value of <paramref name="size"/> bytes if it fits. A bound's bytes are counted when they fit, but it
        /// neither takes a value's place nor counts as the response's first value (a page of bounds alone is no progress).
        /// </summary>
        public bool Take(int size, bool isBound = false)
        {
            if (isBound)
            {
                if (size > bytes) return false;
                bytes -= size;
                return true;
            }
            if (!_empty && (size > bytes || values == 0)) return false;
            _empty = false;
            bytes -= size;
            values = Math.Max(0, values - 1);
            return true;
        }
    }
}
