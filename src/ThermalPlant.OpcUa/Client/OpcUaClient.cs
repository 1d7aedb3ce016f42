using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Messages;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Client;

/// <summary>
/// An OPC UA client over UA TCP. It selects the endpoint with the security policy and mode its options ask for, opens
/// a secure channel with the server's certificate (validated against its store) and a session for
/// <see cref="OpcUaClientOptions.Credentials"/> (anonymous, user name and password, or X.509), keeps it alive, and after a lost connection opens a new channel with backoff and re-activates
/// the session there (or creates a new one when the server no longer has it). Requests run concurrently; a
/// ServiceFault or a Bad service result is an <see cref="OpcUaException"/> with the server's status code.
/// </summary>
public sealed class OpcUaClient : IAsyncDisposable
{
    private const string UaTcpTransportProfile = "http://opcfoundation.org/UA-Profile/Transport/uatcp-uasc-uabinary";

    // A request over many nodes with no limit from the server or the caller still stays a moderate message.
    private const int DefaultHistoryNodesPerRequest = 1000;

    private static readonly ReadValueId[] MaxNodesPerHistoryReadRead =
        [new() { NodeId = NodeId.Of(VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerHistoryReadData), AttributeId = (uint)AttributeId.Value }];

    private static readonly ReadValueId[] KeepAliveRead = [new() { NodeId = NodeId.Of(VariableIds.Server_ServerStatus_State), AttributeId = (uint)AttributeId.Value }];

    private readonly OpcUaClientOptions _options;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _stateLock = new();
    private ClientChannel _channel;
    private TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _reconnecting;
    private Task? _reconnectLoop;
    private Task? _keepAliveLoop;
    private uint _requestHandle;
    private readonly ConcurrentDictionary<OpcUaSubscription, byte> _subscriptions = new();
    private readonly ConcurrentQueue<SubscriptionAcknowledgement> _acknowledgements = new();
    private TaskCompletionSource _subscriptionAdded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _publishLoop;
    private string? _sessionName;
    private NodeId _authenticationToken = NodeId.Null;
    private byte[]? _serverCertificate;
    private int? _maxNodesPerHistoryRead;
    private ChannelCredentials? _credentials;
    private byte[] _serverNonce = [];

    private OpcUaClient(string endpointUrl, OpcUaClientOptions options, TimeProvider time, ClientChannel channel)
    {
        EndpointUrl = endpointUrl;
        _options = options;
        _time = time;
        _channel = channel;
        _channel.Lost += OnChannelLost;
        _ready.SetResult();
    }

    /// <summary>The endpoint URL connected to, as the caller gave it.</summary>
    public string EndpointUrl { get; }

    /// <summary>The endpoint chosen among those the server offers (the options' policy and mode over UA TCP).</summary>
    public EndpointDescription Endpoint { get; private set; } = new();

    /// <summary>The session's id once a session exists; it changes when a reconnection had to create a new session.</summary>
    public NodeId? SessionId { get; private set; }

    /// <summary>Whether requests go out now (false while reconnecting and after the connection was given up).</summary>
    public bool IsConnected => _ready.Task.IsCompletedSuccessfully;

    /// <summary>Raised when the connection is lost for any reason other than closing the client.</summary>
    public event Action<Exception>? ConnectionLost;

    /// <summary>
    /// Raised when a lost connection has been re-established; the argument is true when the server no longer had the
    /// session and a new one was created (so anything kept in the old session is gone).
    /// </summary>
    public event Action<bool>? Reconnected;

    /// <summary>Raised when a subscription had to be created again on the server; its items' next values report a gap.</summary>
    public event Action<OpcUaSubscription>? SubscriptionRecreated;

    /// <summary>Raised after a failed reconnection attempt, with the error and the wait before the next one.</summary>
    public event Action<Exception, TimeSpan>? ReconnectFailed;

    /// <summary>
    /// Connects to <paramref name="endpointUrl"/>: Hello and Acknowledge, OpenSecureChannel with policy None, then
    /// GetEndpoints to select an endpoint with the options' policy and mode over UA TCP (BadSecurityPolicyRejected when
    /// there is none). A secured endpoint's certificate is validated, and a secure channel replaces the discovery one.
    /// With <paramref name="sessionName"/>, a session is created and activated too. Every step runs within one
    /// <see cref="OpcUaClientOptions.HandshakeTimeout"/>; a step it cuts short is a BadTimeout naming the step.
    /// </summary>
    public static async Task<OpcUaClient> ConnectAsync(string endpointUrl, OpcUaClientOptions? options = null, TimeProvider? time = null, CancellationToken cancellationToken = default, string? sessionName = null)
    {
        options ??= new OpcUaClientOptions();
        options.Validate();
        time ??= TimeProvider.System;
        using var deadline = new HandshakeDeadline(endpointUrl, options.HandshakeTimeout, time, cancellationToken);
        var channel = await ClientChannel.OpenAsync(endpointUrl, options, null, time, deadline);
        var client = new OpcUaClient(endpointUrl, options, time, channel);
        try
        {
            var endpoints = await deadline.RunAsync("GetEndpoints", client.GetEndpointsAsync);
            client.Endpoint = SelectEndpoint(endpointUrl, endpoints, options);
            if (client.Endpoint.SecurityMode != MessageSecurityMode.None) await client.SecureAsync(deadline);
            if (sessionName is not null) await client.OpenSessionAsync(sessionName, deadline);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The endpoints of the server at <paramref name="endpointUrl"/>, asked over a channel with SecurityPolicy None,
    /// which every server accepts for discovery whether or not it offers a None endpoint (Part 4, 5.4.4; Part 6, 6.7.1);
    /// nothing is selected, so this works for any security the server offers. Within the options' HandshakeTimeout.
    /// </summary>
    public static async Task<EndpointDescription[]> GetEndpointsAsync(string endpointUrl, OpcUaClientOptions? options = null, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        await using var client = await DiscoverAsync(endpointUrl, options, time, cancellationToken);
        return await client.DiscoveryStepAsync("GetEndpoints", client.GetEndpointsAsync, cancellationToken);
    }

    /// <summary>The servers the server at <paramref name="endpointUrl"/> knows (itself at least), over a None channel as <see cref="GetEndpointsAsync(string, OpcUaClientOptions?, TimeProvider?, CancellationToken)"/>.</summary>
    public static async Task<ApplicationDescription[]> FindServersAsync(string endpointUrl, OpcUaClientOptions? options = null, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        await using var client = await DiscoverAsync(endpointUrl, options, time, cancellationToken);
        return await client.DiscoveryStepAsync("FindServers", async token =>
            (await client.CallAsync<FindServersResponse>(new FindServersRequest { EndpointUrl = endpointUrl }, token)).Servers ?? [], cancellationToken);
    }

    /// <summary>The server's endpoints.</summary>
    public async Task<EndpointDescription[]> GetEndpointsAsync(CancellationToken cancellationToken = default) =>
        (await CallAsync<GetEndpointsResponse>(new GetEndpointsRequest { EndpointUrl = EndpointUrl }, cancellationToken)).Endpoints ?? [];

    /// <summary>
    /// Creates and activates a session for the configured credentials, and starts its keep-alive; CreateSession and
    /// ActivateSession run within one <see cref="OpcUaClientOptions.HandshakeTimeout"/>.
    /// </summary>
    public async Task OpenSessionAsync(string sessionName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessionName);
        using var deadline = new HandshakeDeadline(EndpointUrl, _options.HandshakeTimeout, _time, cancellationToken);
        await OpenSessionAsync(sessionName, deadline);
    }

    /// <summary>Reads attributes; each result carries its own status.</summary>
    public async Task<DataValue[]> ReadAsync(IReadOnlyList<ReadValueId> nodes, TimestampsToReturn timestamps = TimestampsToReturn.Both, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        return Matched((await CallAsync<ReadResponse>(new ReadRequest { NodesToRead = [.. nodes], TimestampsToReturn = timestamps }, cancellationToken)).Results, nodes.Count, "Read");
    }

    /// <summary>Reads the Value attribute of one node.</summary>
    public async Task<DataValue> ReadValueAsync(NodeId node, CancellationToken cancellationToken = default) =>
        (await ReadAsync([new ReadValueId { NodeId = node, AttributeId = (uint)AttributeId.Value }], TimestampsToReturn.Both, cancellationToken))[0]; // ReadAsync checked the count

    /// <summary>Writes values; each result is the status of its write.</summary>
    public async Task<StatusCode[]> WriteAsync(IReadOnlyList<WriteValue> nodes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        return Matched((await CallAsync<WriteResponse>(new WriteRequest { NodesToWrite = [.. nodes] }, cancellationToken)).Results, nodes.Count, "Write");
    }

    /// <summary>Writes the Value attribute of one node; returns the server's status for it.</summary>
    public async Task<StatusCode> WriteValueAsync(NodeId node, Variant value, CancellationToken cancellationToken = default) =>
        (await WriteAsync([new WriteValue { NodeId = node, AttributeId = (uint)AttributeId.Value, Value = new DataValue { Value = value } }], cancellationToken))[0]; // WriteAsync checked the count

    /// <summary>The node reached from <paramref name="start"/> by hierarchical references through <paramref name="browseNames"/>.</summary>
    public async Task<NodeId> TranslateAsync(NodeId start, IReadOnlyList<QualifiedName> browseNames, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(browseNames);
        var elements = new RelativePathElement[browseNames.Count];
        for (var i = 0; i < elements.Length; i++)
        {
            elements[i] = new RelativePathElement { ReferenceTypeId = NodeId.Of(ReferenceTypeIds.HierarchicalReferences), IncludeSubtypes = true, TargetName = browseNames[i] };
        }
        var path = new BrowsePath { StartingNode = start, RelativePath = new RelativePath { Elements = elements } };
        var result = Matched((await CallAsync<TranslateBrowsePathsToNodeIdsResponse>(new TranslateBrowsePathsToNodeIdsRequest { BrowsePaths = [path] }, cancellationToken)).Results, 1, "TranslateBrowsePathsToNodeIds")[0];
        if (result.StatusCode.IsBad) throw new OpcUaException(result.StatusCode, $"no node at {string.Join('/', browseNames)}");
        if (result.Targets is not { Length: > 0 } targets) throw new OpcUaException(StatusCodes.BadUnknownResponse, $"TranslateBrowsePathsToNodeIds answered Good for {string.Join('/', browseNames)} without a target");
        return targets[0].TargetId.NodeId;
    }

    /// <summary>Every reference of <paramref name="node"/> matching the filter, following continuation points.</summary>
    public async Task<ReferenceDescription[]> BrowseAsync(NodeId node, NodeId? referenceType = null, BrowseDirection direction = BrowseDirection.Forward, uint maxReferencesPerCall = 0, CancellationToken cancellationToken = default)
    {
        var response = await CallAsync<BrowseResponse>(new BrowseRequest
        {
            RequestedMaxReferencesPerNode = maxReferencesPerCall,
            NodesToBrowse = [new BrowseDescription { NodeId = node, BrowseDirection = direction, ReferenceTypeId = referenceType ?? NodeId.Of(ReferenceTypeIds.HierarchicalReferences), IncludeSubtypes = true, ResultMask = 63 }],
        }, cancellationToken);
        var result = Matched(response.Results, 1, "Browse")[0];
        var references = new List<ReferenceDescription>(result.References ?? []);
        while (true)
        {
            if (result.StatusCode.IsBad) throw new OpcUaException(result.StatusCode, $"Browse of {node} failed");
            if (result.ContinuationPoint is not { Length: > 0 } point) return [.. references];
            var next = await CallAsync<BrowseNextResponse>(new BrowseNextRequest { ContinuationPoints = [point] }, cancellationToken);
            result = Matched(next.Results, 1, "BrowseNext")[0];
            references.AddRange(result.References ?? []);
        }
    }

    /// <summary>
    /// Sends any request and returns its response; a ServiceFault or Bad service result throws. While the client is
    /// reconnecting the request waits for the connection, at most the request timeout (then BadNotConnected).
    /// </summary>
    public async Task<TResponse> CallAsync<TResponse>(IServiceRequest request, CancellationToken cancellationToken = default)
        where TResponse : class, IServiceResponse =>
        await CallOnAsync<TResponse>(await CurrentChannelAsync(cancellationToken), request, cancellationToken);

    /// <summary>
    /// Calls <paramref name="method"/> on <paramref name="objectId"/> (the Call service, Part 4, 5.11.2). The result's
    /// status says whether it ran (BadUserAccessDenied, BadArgumentsMissing, BadInvalidArgument with a status per input
    /// in InputArgumentResults ...); a refused request as a whole throws.
    /// </summary>
    public async Task<CallMethodResult> CallMethodAsync(NodeId objectId, NodeId method, IReadOnlyList<Variant> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var response = await CallAsync<CallResponse>(new CallRequest { MethodsToCall = [new CallMethodRequest { ObjectId = objectId, MethodId = method, InputArguments = [.. inputs] }] }, cancellationToken);
        return response.Results is [var result] ? result : throw new OpcUaException(StatusCodes.BadUnknownResponse, $"Call answered {response.Results?.Length ?? 0} results for one method");
    }

    /// <summary>
    /// Creates a subscription; add monitored items to it and read its data changes. The client sends Publish
    /// requests for all its subscriptions and restores them after a reconnection.
    /// </summary>
    public async Task<OpcUaSubscription> CreateSubscriptionAsync(SubscriptionSettings? settings = null, CancellationToken cancellationToken = default)
    {
        var subscription = new OpcUaSubscription(this, settings ?? new SubscriptionSettings(), _options.SubscriptionBufferCapacity);
        await CreateOnServerAsync(await CurrentChannelAsync(cancellationToken), subscription, cancellationToken);
        _subscriptions[subscription] = 0;
        _publishLoop ??= PublishAsync(_disposed.Token);
        _subscriptionAdded.TrySetResult();
        return subscription;
    }

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
    /// notifier, a bad filter: BadEventFilterInvalid) throws <see cref="OpcUaException"/> with the server's status.
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
                if (result.StatusCode.IsBad) throw new OpcUaException(result.StatusCode, $"HistoryRead of the events of {notifier} failed");
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

    /// <summary>Closes the session (if any) and the secure channel, then the connection.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        await _disposed.CancelAsync();
        await WaitForLoopsAsync();
        var channel = _channel;
        try
        {
            if (SessionId is not null && _ready.Task.IsCompletedSuccessfully)
            {
                await CallOnAsync<CloseSessionResponse>(channel, new CloseSessionRequest { DeleteSubscriptions = true }, cancellationToken);
                SessionId = null;
            }
            await channel.CloseAsync(cancellationToken);
        }
        finally
        {
            await DisposeAsync();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        await WaitForLoopsAsync();
        await _channel.DisposeAsync();
        _ready.TrySetException(new OpcUaException(StatusCodes.BadConnectionClosed, "the client was closed"));
        _ = _ready.Task.Exception;
    }

    private async Task OpenSessionAsync(string sessionName, HandshakeDeadline deadline)
    {
        var channel = await CurrentChannelAsync(deadline.Token);
        await CreateSessionAsync(channel, sessionName, deadline);
        _sessionName = sessionName;
        if (_options.KeepAliveInterval > TimeSpan.Zero && _keepAliveLoop is null) _keepAliveLoop = KeepAliveAsync(_disposed.Token);
    }

    /// <summary>A client on a None channel that selects no endpoint, for the discovery services only.</summary>
    private static async Task<OpcUaClient> DiscoverAsync(string endpointUrl, OpcUaClientOptions? options, TimeProvider? time, CancellationToken cancellationToken)
    {
        options ??= new OpcUaClientOptions();
        options.Validate();
        time ??= TimeProvider.System;
        // A discovery client never reconnects: one question, one answer.
        options = options with { Reconnect = false, KeepAliveInterval = TimeSpan.Zero };
        using var deadline = new HandshakeDeadline(endpointUrl, options.HandshakeTimeout, time, cancellationToken);
        var channel = await ClientChannel.OpenAsync(endpointUrl, options, null, time, deadline);
        return new OpcUaClient(endpointUrl, options, time, channel);
    }

    private async Task<T> DiscoveryStepAsync<T>(string step, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        using var deadline = new HandshakeDeadline(EndpointUrl, _options.HandshakeTimeout, _time, cancellationToken);
        var result = await deadline.RunAsync(step, call);
        await _channel.CloseAsync(deadline.Token);
        return result;
    }

    private static EndpointDescription SelectEndpoint(string endpointUrl, EndpointDescription[] endpoints, OpcUaClientOptions options)
    {
        EndpointDescription? chosen = null;
        foreach (var endpoint in endpoints)
        {
            if (endpoint.SecurityMode != options.SecurityMode || endpoint.SecurityPolicyUri != options.SecurityPolicyUri) continue;
            if (endpoint.TransportProfileUri is { Length: > 0 } profile && profile != UaTcpTransportProfile) continue;
            // Prefer the endpoint the caller named; servers behind NAT or in containers often report another host.
            if (chosen is null || string.Equals(endpoint.EndpointUrl, endpointUrl, StringComparison.OrdinalIgnoreCase)) chosen = endpoint;
        }
        return chosen ?? throw new OpcUaException(StatusCodes.BadSecurityPolicyRejected, $"{endpointUrl} offers no endpoint with {options.SecurityPolicyUri} and {options.SecurityMode} over UA TCP ({endpoints.Length} endpoints offered)");
    }

    /// <summary>Validates the selected endpoint's certificate, then replaces the discovery channel by a secured one.</summary>
    private async Task SecureAsync(HandshakeDeadline deadline)
    {
        var policy = SecurityPolicies.Find(Endpoint.SecurityPolicyUri);
        var serverCertificate = ServerCertificate(Endpoint);
        _credentials = new ChannelCredentials(policy, Endpoint.SecurityMode, ClientCertificates.Resolve(_options, _time), serverCertificate);
        var secured = await ClientChannel.OpenAsync(EndpointUrl, _options, _credentials, _time, deadline);
        var discovery = _channel;
        discovery.Lost -= OnChannelLost;
        secured.Lost += OnChannelLost;
        _channel = secured;
        await discovery.CloseAsync(deadline.Token);
    }

    /// <summary>
    /// The endpoint's certificate, validated against our store (or accepted untrusted as the options allow) for the
    /// endpoint's policy, naming the host we connected to (unless the options turn that off) and the server's URI.
    /// </summary>
    private X509Certificate2 ServerCertificate(EndpointDescription endpoint)
    {
        var certificate = ApplicationCertificates.FromByteString(endpoint.ServerCertificate);
        var store = _options.CertificateStorePath is { Length: > 0 } path ? new CertificateStore(path) : null;
        new CertificateValidator(store, _time, _options.AutoAcceptUntrustedCertificates)
            .Validate(certificate, SecurityPolicies.Find(endpoint.SecurityPolicyUri), ApplicationType.Server);
        // Part 4, 6.1.3: the host of the URL we used, not the endpoint's own URL, which a server behind NAT may not know.
        if (_options.CheckServerHostName) CertificateValidator.CheckHostName(certificate, new Uri(EndpointUrl).DnsSafeHost);
        CertificateValidator.CheckApplicationUri(certificate, endpoint.Server.ApplicationUri);
        return certificate;
    }

    private async Task CreateSessionAsync(ClientChannel channel, string sessionName, HandshakeDeadline deadline)
    {
        var clientNonce = RandomNumberGenerator.GetBytes(32);
        var created = await deadline.RunAsync("CreateSession", token => CallOnAsync<CreateSessionResponse>(channel, new CreateSessionRequest
        {
            ClientDescription = new ApplicationDescription { ApplicationUri = _options.ApplicationUri, ApplicationName = new LocalizedText(null, _options.ApplicationName), ApplicationType = ApplicationType.Client },
            EndpointUrl = EndpointUrl,
            SessionName = sessionName,
            ClientNonce = clientNonce,
            ClientCertificate = _credentials?.ClientCertificate.RawData,
            RequestedSessionTimeout = _options.SessionTimeout.TotalMilliseconds,
            MaxResponseMessageSize = _options.Transport.MaxMessageSize,
        }, token, NodeId.Null));
        if (_credentials is { } credentials) CheckServerSignature(credentials, created, clientNonce);
        _serverNonce = created.ServerNonce ?? [];
        _serverCertificate = created.ServerCertificate is { Length: > 0 } certificate ? certificate : Endpoint.ServerCertificate;
        await deadline.RunAsync("ActivateSession", token => ActivateSessionAsync(channel, created.AuthenticationToken, created.ServerEndpoints, token));
        _authenticationToken = created.AuthenticationToken;
        SessionId = created.SessionId;
    }

    // The token is bound to the nonce of the server's last answer, so each (re-)activation builds it anew.
    private async Task ActivateSessionAsync(ClientChannel channel, NodeId authenticationToken, EndpointDescription[]? serverEndpoints, CancellationToken cancellationToken)
    {
        var (token, signature) = IdentityTokens.Create(_options.Credentials, Endpoint, serverEndpoints, _serverCertificate, _serverNonce);
        var activated = await CallOnAsync<ActivateSessionResponse>(channel, new ActivateSessionRequest
        {
            ClientSignature = ClientSignature(),
            UserIdentityToken = token,
            UserTokenSignature = signature,
        }, cancellationToken, authenticationToken);
        if (activated.ServerNonce is { Length: > 0 } nonce) _serverNonce = nonce;
    }

    /// <summary>On a secured channel we prove our identity by signing the server's certificate and last nonce (Part 4, 5.6.3).</summary>
    private SignatureData ClientSignature()
    {
        if (_credentials is not { } credentials) return new SignatureData();
        using var key = credentials.ClientCertificate.GetRSAPrivateKey()!;
        return new SignatureData
        {
            Algorithm = credentials.Policy.AsymmetricSignatureAlgorithm,
            Signature = credentials.Policy.Sign(key, [.. credentials.ServerCertificate.RawData, .. _serverNonce]),
        };
    }

    /// <summary>The server proves it holds its certificate's key by signing our certificate and nonce (Part 4, 5.6.2).</summary>
    private static void CheckServerSignature(ChannelCredentials credentials, CreateSessionResponse created, byte[] clientNonce)
    {
        using var key = credentials.ServerCertificate.GetRSAPublicKey()!;
        var signature = created.ServerSignature;
        var valid = signature?.Signature is { Length: > 0 } bytes
            && credentials.Policy.Verify(key, [.. credentials.ClientCertificate.RawData, .. clientNonce], bytes);
        if (!valid) throw new OpcUaException(StatusCodes.BadApplicationSignatureInvalid, "the server's signature over our certificate and nonce is wrong");
    }

    private Task<TResponse> CallOnAsync<TResponse>(ClientChannel channel, IServiceRequest request, CancellationToken cancellationToken)
        where TResponse : class, IServiceResponse =>
        CallOnAsync<TResponse>(channel, request, cancellationToken, _authenticationToken);

    private async Task<TResponse> CallOnAsync<TResponse>(ClientChannel channel, IServiceRequest request, CancellationToken cancellationToken, NodeId authenticationToken, TimeSpan? timeout = null)
        where TResponse : class, IServiceResponse
    {
        ArgumentNullException.ThrowIfNull(request);
        request.RequestHeader = new RequestHeader
        {
            AuthenticationToken = authenticationToken,
            Timestamp = _time.GetUtcNow().UtcDateTime,
            RequestHandle = Interlocked.Increment(ref _requestHandle),
            TimeoutHint = (uint)(timeout ?? _options.RequestTimeout).TotalMilliseconds,
        };
        var response = await channel.SendRequestAsync(request, cancellationToken, timeout);
        if (response is IServiceResponse { ResponseHeader.ServiceResult.IsBad: true } failed)
        {
            throw new OpcUaException(failed.ResponseHeader.ServiceResult, $"{request.GetType().Name} refused");
        }
        return response as TResponse ?? throw new OpcUaException(StatusCodes.BadUnknownResponse, $"expected {typeof(TResponse).Name}, got {response.GetType().Name}");
    }

    private async Task<ClientChannel> CurrentChannelAsync(CancellationToken cancellationToken)
    {
        var ready = _ready.Task;
        if (!ready.IsCompleted)
        {
            try
            {
                await ready.WaitAsync(_options.RequestTimeout, _time, cancellationToken);
            }
            catch (TimeoutException)
            {
                throw new OpcUaException(StatusCodes.BadNotConnected, $"not connected to {EndpointUrl}; reconnecting");
            }
        }
        await ready;
        return _channel;
    }

    private void OnChannelLost(ClientChannel channel, Exception error)
    {
        lock (_stateLock)
        {
            if (_disposed.IsCancellationRequested || _reconnecting || !ReferenceEquals(channel, _channel)) return;
            _reconnecting = true;
            _ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_options.Reconnect)
            {
                _ready.SetException(new OpcUaException(StatusCodes.BadConnectionClosed, $"the connection to {EndpointUrl} was lost: {error.Message}"));
                _ = _ready.Task.Exception;
            }
            else
            {
                _reconnectLoop = ReconnectAsync(channel, _disposed.Token);
            }
        }
        ConnectionLost?.Invoke(error);
    }

    private async Task ReconnectAsync(ClientChannel lost, CancellationToken cancellationToken)
    {
        await Task.Yield();
        await lost.DisposeAsync();
        var delay = _options.ReconnectMinDelay;
        while (!cancellationToken.IsCancellationRequested)
        {
            ClientChannel? channel = null;
            try
            {
                bool recreated;
                // Each attempt gets the handshake deadline, so a server that accepts and stays silent cannot stall the loop.
                using (var deadline = new HandshakeDeadline(EndpointUrl, _options.HandshakeTimeout, _time, cancellationToken))
                {
                    channel = await ClientChannel.OpenAsync(EndpointUrl, _options, _credentials, _time, deadline);
                    recreated = _sessionName is not null && await RestoreSessionAsync(channel, _sessionName, deadline);
                }
                if (recreated) await RestoreSubscriptionsAsync(channel, cancellationToken);
                channel.Lost += OnChannelLost;
                lock (_stateLock)
                {
                    _channel = channel;
                    _reconnecting = false;
                    _ready.TrySetResult();
                }
                Reconnected?.Invoke(recreated);
                return;
            }
            catch (OpcUaException ex)
            {
                if (channel is not null) await channel.DisposeAsync();
                var wait = Jittered(delay);
                ReconnectFailed?.Invoke(ex, wait);
                try
                {
                    await Task.Delay(wait, _time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectMaxDelay.Ticks));
            }
            catch (OperationCanceledException)
            {
                if (channel is not null) await channel.DisposeAsync();
                return;
            }
        }
    }

    /// <summary>Re-activates the session on the new channel; returns true when it had to be created anew.</summary>
    private async Task<bool> RestoreSessionAsync(ClientChannel channel, string sessionName, HandshakeDeadline deadline)
    {
        try
        {
            await deadline.RunAsync("ActivateSession", token => ActivateSessionAsync(channel, _authenticationToken, [Endpoint], token));
            return false;
        }
        catch (OpcUaException ex) when (ex.Status.Code is StatusCodes.BadSessionIdInvalid or StatusCodes.BadSessionClosed or StatusCodes.BadSessionNotActivated)
        {
            await CreateSessionAsync(channel, sessionName, deadline);
            return true;
        }
    }

    private async Task KeepAliveAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(_options.KeepAliveInterval, _time, cancellationToken);
                if (!_ready.Task.IsCompletedSuccessfully) continue;
                var channel = _channel;
                try
                {
                    await CallOnAsync<ReadResponse>(channel, new ReadRequest { NodesToRead = KeepAliveRead, TimestampsToReturn = TimestampsToReturn.Neither }, cancellationToken);
                }
                catch (OpcUaException ex)
                {
                    // A keep-alive that fails for any reason means the channel or the session is unusable: start over.
                    OnChannelLost(channel, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task WaitForLoopsAsync()
    {
        Task? reconnect;
        lock (_stateLock) reconnect = _reconnectLoop;
        foreach (var subscription in _subscriptions.Keys) subscription.Complete();
        foreach (var loop in (Task?[])[reconnect, _keepAliveLoop, _publishLoop])
        {
            if (loop is null) continue;
            try
            {
                await loop;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>Creates monitored items of <paramref name="subscription"/> on the server; results go into the nodes.</summary>
    internal async Task CreateItemsAsync(OpcUaSubscription subscription, IReadOnlyList<MonitoredNode> nodes, CancellationToken cancellationToken) =>
        await CreateItemsOnAsync(await CurrentChannelAsync(cancellationToken), subscription, nodes, cancellationToken);

    /// <summary>Stops publishing for a subscription being deleted; false when it was gone already.</summary>
    internal bool Forget(OpcUaSubscription subscription) => _subscriptions.TryRemove(subscription, out _);

    private async Task CreateOnServerAsync(ClientChannel channel, OpcUaSubscription subscription, CancellationToken cancellationToken)
    {
        var settings = subscription.Settings;
        var created = await CallOnAsync<CreateSubscriptionResponse>(channel, new CreateSubscriptionRequest
        {
            RequestedPublishingInterval = settings.PublishingInterval,
            RequestedMaxKeepAliveCount = settings.MaxKeepAliveCount,
            RequestedLifetimeCount = settings.LifetimeCount,
            MaxNotificationsPerPublish = settings.MaxNotificationsPerPublish,
            PublishingEnabled = true,
            Priority = settings.Priority,
        }, cancellationToken);
        subscription.Id = created.SubscriptionId;
        subscription.RevisedPublishingInterval = created.RevisedPublishingInterval;
        subscription.RevisedMaxKeepAliveCount = created.RevisedMaxKeepAliveCount;
        subscription.ResetSequence();
    }

    private async Task CreateItemsOnAsync(ClientChannel channel, OpcUaSubscription subscription, IReadOnlyList<MonitoredNode> nodes, CancellationToken cancellationToken)
    {
        var requests = new MonitoredItemCreateRequest[nodes.Count];
        for (var i = 0; i < requests.Length; i++)
        {
            var request = nodes[i].Request;
            var filter = request.EventFilter is { } eventFilter ? ExtensionObject.From(eventFilter)
                : request.Trigger == DataChangeTrigger.StatusValue && request.DeadbandType == DeadbandType.None
                ? ExtensionObject.Null
                : ExtensionObject.From(new DataChangeFilter { Trigger = request.Trigger, DeadbandType = (uint)request.DeadbandType, DeadbandValue = request.Deadband });
            requests[i] = new MonitoredItemCreateRequest
            {
                ItemToMonitor = new ReadValueId { NodeId = request.Node, AttributeId = (uint)(request.EventFilter is null ? request.Attribute : AttributeId.EventNotifier) },
                MonitoringMode = MonitoringMode.Reporting,
                RequestedParameters = new MonitoringParameters
                {
                    ClientHandle = nodes[i].ClientHandle,
                    SamplingInterval = request.SamplingInterval,
                    QueueSize = request.QueueSize,
                    DiscardOldest = request.DiscardOldest,
                    Filter = filter,
                },
            };
        }
        // Large lists go in batches so that each request stays within the server's operation limits.
        const int batch = 1000;
        for (var offset = 0; offset < requests.Length; offset += batch)
        {
            var slice = requests[offset..Math.Min(requests.Length, offset + batch)];
            var response = await CallOnAsync<CreateMonitoredItemsResponse>(channel, new CreateMonitoredItemsRequest { SubscriptionId = subscription.Id, TimestampsToReturn = TimestampsToReturn.Both, ItemsToCreate = slice }, cancellationToken);
            var results = response.Results ?? [];
            if (results.Length != slice.Length) throw new OpcUaException(StatusCodes.BadUnknownResponse, $"CreateMonitoredItems answered {results.Length} results for {slice.Length} items");
            for (var i = 0; i < results.Length; i++)
            {
                var node = nodes[offset + i];
                node.Status = results[i].StatusCode;
                node.ServerId = results[i].MonitoredItemId;
                node.RevisedSamplingInterval = results[i].RevisedSamplingInterval;
                node.RevisedQueueSize = results[i].RevisedQueueSize;
                node.EventFilterResult = results[i].FilterResult.Decode() as EventFilterResult;
            }
        }
    }

    /// <summary>
    /// After a new session: moves the subscriptions over (TransferSubscriptions, with initial values) and re-creates
    /// those the server no longer has, whose items then report a possible gap.
    /// </summary>
    private async Task RestoreSubscriptionsAsync(ClientChannel channel, CancellationToken cancellationToken)
    {
        var subscriptions = _subscriptions.Keys.ToArray();
        if (subscriptions.Length == 0) return;
        var ids = new uint[subscriptions.Length];
        for (var i = 0; i < ids.Length; i++) ids[i] = subscriptions[i].Id;
        TransferResult[] results = [];
        try
        {
            results = (await CallOnAsync<TransferSubscriptionsResponse>(channel, new TransferSubscriptionsRequest { SubscriptionIds = ids, SendInitialValues = true }, cancellationToken)).Results ?? [];
        }
        catch (OpcUaException ex) when (ex.Status.Code is not (StatusCodes.BadConnectionClosed or StatusCodes.BadCommunicationError or StatusCodes.BadTimeout))
        {
            // A server without TransferSubscriptions: every subscription is created again below.
        }
        for (var i = 0; i < subscriptions.Length; i++)
        {
            if (i < results.Length && results[i].StatusCode.IsGood) continue;
            await RecreateAsync(channel, subscriptions[i], cancellationToken);
        }
    }

    private async Task RecreateAsync(ClientChannel channel, OpcUaSubscription subscription, CancellationToken cancellationToken)
    {
        await CreateOnServerAsync(channel, subscription, cancellationToken);
        var items = subscription.AllItems.ToArray();
        if (items.Length > 0) await CreateItemsOnAsync(channel, subscription, items, cancellationToken);
        subscription.MarkGap();
        SubscriptionRecreated?.Invoke(subscription);
    }

    /// <summary>
    /// Keeps one Publish request outstanding while subscriptions exist. One at a time keeps the notifications of a
    /// subscription in sequence order without reordering; the server queues what changes meanwhile.
    /// </summary>
    private async Task PublishAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (_subscriptions.IsEmpty)
                {
                    var added = _subscriptionAdded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    if (_subscriptions.IsEmpty) await added.Task.WaitAsync(cancellationToken);
                    continue;
                }
                var acknowledgements = new List<SubscriptionAcknowledgement>();
                while (acknowledgements.Count < 100 && _acknowledgements.TryDequeue(out var acknowledgement)) acknowledgements.Add(acknowledgement);
                PublishResponse response;
                try
                {
                    var channel = await CurrentChannelAsync(cancellationToken);
                    response = await CallOnAsync<PublishResponse>(channel, new PublishRequest { SubscriptionAcknowledgements = [.. acknowledgements] }, cancellationToken, _authenticationToken, PublishTimeout());
                }
                catch (OpcUaException ex)
                {
                    foreach (var acknowledgement in acknowledgements) _acknowledgements.Enqueue(acknowledgement);
                    await AfterPublishFailedAsync(ex, cancellationToken);
                    continue;
                }
                await HandlePublishAsync(response, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

        }
    }

    private async Task AfterPublishFailedAsync(OpcUaException error, CancellationToken cancellationToken)
    {
        switch (error.Status.Code)
        {
            case StatusCodes.BadTimeout:
                return;
            case StatusCodes.BadNoSubscription when !_subscriptions.IsEmpty && _ready.Task.IsCompletedSuccessfully:
                // The session survived but the server dropped our subscriptions (their lifetime ran out): create them again.
                foreach (var subscription in _subscriptions.Keys)
                {
                    try
                    {
                        await RecreateAsync(await CurrentChannelAsync(cancellationToken), subscription, cancellationToken);
                    }
                    catch (OpcUaException)
                    {
                        break;
                    }
                }
                return;
            default:
                await Task.Delay(_options.ReconnectMinDelay, _time, cancellationToken);
                return;
        }
    }

    private async Task HandlePublishAsync(PublishResponse response, CancellationToken cancellationToken)
    {
        OpcUaSubscription? subscription = null;
        foreach (var candidate in _subscriptions.Keys)
        {
            if (candidate.Id == response.SubscriptionId) subscription = candidate;
        }
        if (subscription is null) return;
        var message = response.NotificationMessage;
        var keepAlive = message.NotificationData is not { Length: > 0 };
        var missing = subscription.Track(message.SequenceNumber, keepAlive);
        if (missing is null) return;
        foreach (var sequence in missing)
        {
            try
            {
                var republished = await CallAsync<RepublishResponse>(new RepublishRequest { SubscriptionId = subscription.Id, RetransmitSequenceNumber = sequence }, cancellationToken);
                await DeliverAsync(subscription, republished.NotificationMessage, cancellationToken);
            }
            catch (OpcUaException ex) when (ex.Status.Code is StatusCodes.BadMessageNotAvailable or StatusCodes.BadSubscriptionIdInvalid)
            {
                subscription.MarkGap();
            }
        }
        if (keepAlive)
        {
            subscription.CountKeepAlive();
            return;
        }
        await DeliverAsync(subscription, message, cancellationToken);
    }

    private async Task DeliverAsync(OpcUaSubscription subscription, NotificationMessage message, CancellationToken cancellationToken)
    {
        foreach (var data in message.NotificationData ?? [])
        {
            switch (data.Decode())
            {
                case DataChangeNotification change:
                    await subscription.DeliverAsync(change, cancellationToken);
                    break;
                case EventNotificationList events:
                    await subscription.DeliverAsync(events, cancellationToken);
                    break;
                case StatusChangeNotification { Status.IsBad: true }:
                    // The server ended the subscription (e.g. its lifetime ran out): start it again and say values may be missing.
                    await RecreateAsync(await CurrentChannelAsync(cancellationToken), subscription, cancellationToken);
                    break;
            }
        }
        _acknowledgements.Enqueue(new SubscriptionAcknowledgement { SubscriptionId = subscription.Id, SequenceNumber = message.SequenceNumber });
    }

    private TimeSpan PublishTimeout()
    {
        // The server holds a Publish up to a keep-alive period when nothing changes.
        var longest = 0.0;
        foreach (var subscription in _subscriptions.Keys) longest = Math.Max(longest, subscription.RevisedPublishingInterval * Math.Max(1, subscription.RevisedMaxKeepAliveCount));
        return _options.RequestTimeout + TimeSpan.FromMilliseconds(2 * longest);
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

    /// <summary>The results of a request for <paramref name="count"/> operations; BadUnknownResponse when the server answered another number.</summary>
    private static T[] Matched<T>(T[]? results, int count, string service) =>
        results is { } all && all.Length == count ? all : throw new OpcUaException(StatusCodes.BadUnknownResponse, $"{service} of {count} operations answered {results?.Length ?? 0} results");

    /// <summary>The smaller of two limits where 0 means none.</summary>
    private static int Smallest(int a, int b) => a == 0 ? b : b == 0 ? a : Math.Min(a, b);

    private static TimeSpan Jittered(TimeSpan delay) =>
        TimeSpan.FromTicks((long)(delay.Ticks * (0.8 + (0.4 * Random.Shared.NextDouble()))));
}
