using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Client;

// History reads: raw values of many nodes with continuation points within the server's limits, and event history.
public sealed partial class OpcUaClient
{
    // A request over many nodes with no limit from the server or the caller still stays a moderate message.
    private const int DefaultHistoryNodesPerRequest = 1000;
    private static readonly ReadValueId[] MaxNodesPerHistoryReadRead =
        [new() { NodeId = NodeId.Of(VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerHistoryReadData), AttributeId = (uint)AttributeId.Value }];
    private int? _maxNodesPerHistoryRead;

    /// <summary>
    /// Raw history of <paramref name="node"/> between <paramref name="start"/> and <paramref name="end"/> (both
    /// inclusive; newest first when the start is after the end), following continuation points with at most
    /// <paramref name="valuesPerCall"/> values per request.
    /// </summary>
    public async Task<DataValue[]> HistoryReadRawAsync(NodeId node, DateTime start, DateTime end, uint valuesPerCall = 1000, bool returnBounds = false, TimestampsToReturn timestamps = TimestampsToReturn.Both, CancellationToken cancellationToken = default)
    {
        var values = new List<DataValue>();
        await foreach (var page in HistoryReadRawAsync([node], start, end, valuesPerCall, 1, returnBounds, timestamps, cancellationToken))
        {
            if (page.Status.IsBad) throw new OpcUaException(page.Status, $"HistoryRead of {node} failed");
            values.AddRange(page.Values);
        }
        return [.. values];
    }

    /// <summary>
    /// Raw history of many nodes over one time range (as for one node), several nodes per request: each node follows
    /// its own continuation points, pages are yielded as responses arrive, and a node the server refuses is a page
    /// with its Bad status while the others go on. Requests stay within the server's MaxNodesPerHistoryReadData (read
    /// once per client). Nodes are sent as many as fit, since a short range needs no continuation points; once the
    /// server answers BadNoContinuationPoints, the points it had granted are taken as its limit and new nodes join a
    /// request only as points come free (a refused node is read again then). Continuation points still held when the
    /// read ends early (an error, or the caller stops) are released.
    /// </summary>
    /// <param name="nodes">The nodes; a page's <see cref="HistoryReadRawPage.Index"/> is a position in this list.</param>
    /// <param name="start">Start of the range.</param>
    /// <param name="end">End of the range.</param>
    /// <param name="valuesPerNode">Most values per node per request (NumValuesPerNode).</param>
    /// <param name="maxNodesPerRequest">Most nodes per request; 0 leaves it to the server's limit. Bound the response size with it: a response holds up to this times <paramref name="valuesPerNode"/> values.</param>
    /// <param name="returnBounds">Whether bounding values are returned.</param>
    /// <param name="timestamps">The timestamps returned.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async IAsyncEnumerable<HistoryReadRawPage> HistoryReadRawAsync(IReadOnlyList<NodeId> nodes, DateTime start, DateTime end, uint valuesPerNode = 1000, int maxNodesPerRequest = 0,
        bool returnBounds = false, TimestampsToReturn timestamps = TimestampsToReturn.Both, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentOutOfRangeException.ThrowIfNegative(maxNodesPerRequest);
        if (nodes.Count == 0) yield break;
        var details = ExtensionObject.From(new ReadRawModifiedDetails { StartTime = start, EndTime = end, NumValuesPerNode = valuesPerNode, ReturnBounds = returnBounds });
        var serverNodes = nodes.Count > 1 ? await MaxNodesPerHistoryReadAsync(cancellationToken) : 0;
        var perRequest = Math.Max(1, Smallest(Smallest(serverNodes, maxNodesPerRequest), DefaultHistoryNodesPerRequest));
        var pointLimit = 0;
        var fresh = new Queue<int>(Enumerable.Range(0, nodes.Count));
        var held = new Dictionary<int, byte[]>();
        try
        {
            while (held.Count > 0 || fresh.Count > 0)
            {
                // Nodes holding a continuation point go first: they always progress, so points come free again.
                var batch = new List<int>(Math.Min(perRequest, held.Count + fresh.Count));
                foreach (var index in held.Keys)
                {
                    if (batch.Count == perRequest) break;
                    batch.Add(index);
                }
                var room = perRequest - batch.Count;
                if (pointLimit > 0) room = Math.Min(room, pointLimit - held.Count);
                if (batch.Count == 0) room = Math.Max(room, 1);
                while (room-- > 0 && fresh.Count > 0) batch.Add(fresh.Dequeue());

                var request = new HistoryReadValueId[batch.Count];
                for (var i = 0; i < batch.Count; i++)
                {
                    request[i] = new HistoryReadValueId { NodeId = nodes[batch[i]], ContinuationPoint = held.GetValueOrDefault(batch[i]) };
                }
                var response = await CallAsync<HistoryReadResponse>(new HistoryReadRequest { HistoryReadDetails = details, TimestampsToReturn = timestamps, NodesToRead = request }, cancellationToken);
                var results = response.Results ?? [];
                if (results.Length != batch.Count) throw new OpcUaException(StatusCodes.BadUnknownResponse, $"HistoryRead of {batch.Count} nodes answered {results.Length} results");

                var pages = new List<HistoryReadRawPage>(batch.Count);
                var refused = new List<int>();
                for (var i = 0; i < batch.Count; i++)
                {
                    var index = batch[i];
                    var result = results[i];
                    var hadPoint = held.Remove(index);
                    if (result.StatusCode.Code == StatusCodes.BadNoContinuationPoints && !hadPoint)
                    {
                        refused.Add(index);
                        continue;
                    }
                    if (result.StatusCode.IsBad)
                    {
                        pages.Add(new HistoryReadRawPage(index, nodes[index], result.StatusCode, [], true));
                        continue;
                    }
                    var more = result.ContinuationPoint is { Length: > 0 } point ? point : null;
                    if (more is not null) held[index] = more;
                    var values = result.HistoryData.Decode() is HistoryData data ? data.DataValues ?? [] : [];
                    pages.Add(new HistoryReadRawPage(index, nodes[index], result.StatusCode, values, more is null));
                }
                if (refused.Count > 0)
                {
                    // The server has no point left for these: what it granted is its limit. With none held it never will.
                    if (held.Count == 0)
                    {
                        foreach (var index in refused) pages.Add(new HistoryReadRawPage(index, nodes[index], StatusCodes.BadNoContinuationPoints, [], true));
                    }
                    else
                    {
                        pointLimit = pointLimit == 0 ? held.Count : Math.Min(pointLimit, held.Count);
                        foreach (var index in fresh) refused.Add(index);
                        fresh = new Queue<int>(refused);
                    }
                }
                foreach (var page in pages) yield return page;
            }
        }
        finally
        {
            if (held.Count > 0) await ReleaseHistoryAsync(nodes, held, details);
        }
    }

    /// <summary>
    /// The event history of <paramref name="notifier"/> (the Server object, or another Object whose EventNotifier has
    /// HistoryRead) between <paramref name="start"/> and <paramref name="end"/> (both inclusive, by the events' Time;
    /// newest first when the start is after the end), following continuation points with at most
    /// <paramref name="eventsPerCall"/> events per request. Each event is its fields in the order of
    /// <paramref name="filter"/>'s select clauses; its where clause picks the events. A refused read (an unknown
    /// notifier) throws <see cref="OpcUaException"/> with the server's status; a refused filter (BadEventFilterInvalid) throws
    /// <see cref="EventFilterRefusedException"/> with the clauses the server refused.
    /// </summary>
    public async Task<Variant[][]> HistoryReadEventsAsync(NodeId notifier, EventFilter filter, DateTime start, DateTime end, uint eventsPerCall = 1000, CancellationToken cancellationToken = default)
    {
        var events = new List<Variant[]>();
        await foreach (var page in HistoryReadEventPagesAsync(notifier, filter, start, end, eventsPerCall, cancellationToken)) events.AddRange(page);
        return [.. events];
    }

    /// <summary>
    /// The event history of <paramref name="notifier"/> as <see cref="HistoryReadEventsAsync"/> reads it, one page per
    /// response as it arrives (a page may be empty while the server has more), so that a long range is never held
    /// whole. A continuation point still held when the caller stops early is released.
    /// </summary>
    public async IAsyncEnumerable<IReadOnlyList<Variant[]>> HistoryReadEventPagesAsync(NodeId notifier, EventFilter filter, DateTime start, DateTime end, uint eventsPerCall = 1000,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notifier);
        ArgumentNullException.ThrowIfNull(filter);
        var details = ExtensionObject.From(new ReadEventDetails { StartTime = start, EndTime = end, NumValuesPerNode = eventsPerCall, Filter = filter });
        byte[]? point = null;
        var nodes = new[] { notifier };
        try
        {
            do
            {
                var response = await CallAsync<HistoryReadResponse>(new HistoryReadRequest
                {
                    HistoryReadDetails = details,
                    TimestampsToReturn = TimestampsToReturn.Source,
                    NodesToRead = [new HistoryReadValueId { NodeId = notifier, ContinuationPoint = point }],
                }, cancellationToken);
                var result = Matched(response.Results, 1, "HistoryRead")[0];
                point = null;
                if (result.StatusCode.IsBad)
                {
                    // A refused filter comes with which clauses failed (Part 11: the EventFilterResult in HistoryData).
                    if (result.HistoryData.Decode() is EventFilterResult refused) throw new EventFilterRefusedException(result.StatusCode, $"HistoryRead of the events of {notifier} refused the filter", refused);
                    throw new OpcUaException(result.StatusCode, $"HistoryRead of the events of {notifier} failed");
                }
                point = result.ContinuationPoint is { Length: > 0 } more ? more : null;
                var page = result.HistoryData.Decode() is HistoryEvent history ? history.Events ?? [] : [];
                yield return [.. page.Select(e => e.EventFields ?? [])];
            }
            while (point is not null);
        }
        finally
        {
            if (point is not null) await ReleaseHistoryAsync(nodes, new Dictionary<int, byte[]> { [0] = point }, details);
        }
    }

    private async Task ReleaseHistoryAsync(IReadOnlyList<NodeId> nodes, Dictionary<int, byte[]> held, ExtensionObject details)
    {
        try
        {
            await CallAsync<HistoryReadResponse>(new HistoryReadRequest
            {
                HistoryReadDetails = details,
                TimestampsToReturn = TimestampsToReturn.Both,
                ReleaseContinuationPoints = true,
                NodesToRead = [.. held.Select(h => new HistoryReadValueId { NodeId = nodes[h.Key], ContinuationPoint = h.Value })],
            });
        }
        catch (OpcUaException)
        {
            // Best effort: the server drops continuation points with the session anyway.
        }
    }

    /// <summary>The server's MaxNodesPerHistoryReadData, read once; 0 when the server publishes none (or 0, which means no limit).</summary>
    private async Task<int> MaxNodesPerHistoryReadAsync(CancellationToken cancellationToken)
    {
        if (_maxNodesPerHistoryRead is { } known) return known;
        DataValue? value = (await ReadAsync(MaxNodesPerHistoryReadRead, TimestampsToReturn.Neither, cancellationToken)) is [var only] ? only : null;
        var limit = value is { Status.IsGood: true, Value.Value: uint number } ? (int)Math.Min(number, int.MaxValue) : 0;
        _maxNodesPerHistoryRead = limit;
        return limit;
    }

    /// <summary>The smaller of two limits where 0 means none.</summary>
    private static int Smallest(int a, int b) => a == 0 ? b : b == 0 ? a : Math.Min(a, b);
}
