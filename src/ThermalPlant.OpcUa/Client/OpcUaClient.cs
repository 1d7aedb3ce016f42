using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Messages;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Client;

/// <summary>
/// An OPC UA client over UA TCP. It selects the endpoint with the security policy and mode its options ask for, opens
/// a secure channel with the server's certificate (validated against its store) and a session for
/// <see cref="OpcUaClientOptions.Credentials"/> (anonymous, user name and password, or X.509), keeps it alive, and after a lost connection opens a new channel with backoff and re-activates
/// the session there (or creates a new one when the server no longer has it). Requests run concurrently; a
/// ServiceFault or a Bad service result is an <see cref="OpcUaException"/> with the server's status code.
/// </summary>
public sealed partial class OpcUaClient : IAsyncDisposable
{
    private readonly OpcUaClientOptions _options;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _stateLock = new();
    private ClientChannel _channel;
    private TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private uint _requestHandle;

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

    /// <summary>Whether requests go out now (false while reconnecting and after the connection was given up).</summary>
    public bool IsConnected => _ready.Task.IsCompletedSuccessfully;

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

    private Task<TResponse> CallOnAsync<TResponse>(ClientChannel channel, IServiceRequest request, CancellationToken cancellationToken)
        where TResponse : class, IServiceResponse =>
        CallOnAsync<TResponse>(channel, request, _authenticationToken, null, cancellationToken);

    private async Task<TResponse> CallOnAsync<TResponse>(ClientChannel channel, IServiceRequest request, NodeId authenticationToken, TimeSpan? timeout, CancellationToken cancellationToken)
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

    /// <summary>The results of a request for <paramref name="count"/> operations; BadUnknownResponse when the server answered another number.</summary>
    private static T[] Matched<T>(T[]? results, int count, string service) =>
        results is { } all && all.Length == count ? all : throw new OpcUaException(StatusCodes.BadUnknownResponse, $"{service} of {count} operations answered {results?.Length ?? 0} results");
}
