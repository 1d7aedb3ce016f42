using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Messages;
using ThermalPlant.OpcUa.SecureChannel;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Transport;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Client;

/// <summary>
/// An OPC UA client over UA TCP with SecurityPolicy None: one secure channel whose token it renews at 75 % of its
/// lifetime, an anonymous session, and requests in flight concurrently, matched to responses by request id. A
/// ServiceFault or a Bad service result is an <see cref="OpcUaException"/> with the server's status code.
/// </summary>
public sealed class OpcUaClient : IAsyncDisposable
{
    private static readonly byte[] NoneSecurityHeader = EncodeNoneHeader();

    private readonly OpcUaClientOptions _options;
    private readonly TimeProvider _time;
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ConcurrentDictionary<uint, TaskCompletionSource<IEncodeable>> _pending = new();
    private readonly CancellationTokenSource _closing = new();
    private ChunkWriter _writer = null!;
    private ChunkAssembler _assembler = null!;
    private Task? _receiveLoop;
    private ITimer? _renewTimer;
    private uint _channelId;
    private uint _tokenId;
    private int _requestId;
    private uint _requestHandle;
    private NodeId _authenticationToken = NodeId.Null;

    private OpcUaClient(string endpointUrl, OpcUaClientOptions options, TimeProvider time, TcpClient tcp)
    {
        EndpointUrl = endpointUrl;
        _options = options;
        _time = time;
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>The endpoint URL connected to.</summary>
    public string EndpointUrl { get; }

    /// <summary>The session's id once a session exists.</summary>
    public NodeId? SessionId { get; private set; }

    /// <summary>Raised when the connection ends for any reason other than <see cref="DisposeAsync"/>.</summary>
    public event Action<Exception>? ConnectionLost;

    /// <summary>Connects: Hello and Acknowledge, then OpenSecureChannel with SecurityPolicy None.</summary>
    public static async Task<OpcUaClient> ConnectAsync(string endpointUrl, OpcUaClientOptions? options = null, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        var url = new Uri(endpointUrl);
        if (url.Scheme != "opc.tcp") throw new OpcUaException(StatusCodes.BadTcpEndpointUrlInvalid, $"{endpointUrl} is not an opc.tcp URL");
        options ??= new OpcUaClientOptions();
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(url.Host, url.IsDefaultPort || url.Port < 0 ? 4840 : url.Port, cancellationToken);
        }
        catch (SocketException ex)
        {
            tcp.Dispose();
            throw new OpcUaException(StatusCodes.BadCommunicationError, $"cannot connect to {endpointUrl}: {ex.Message}");
        }
        var client = new OpcUaClient(endpointUrl, options, time ?? TimeProvider.System, tcp);
        try
        {
            await client.HandshakeAsync(cancellationToken);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>The server's endpoints.</summary>
    public async Task<EndpointDescription[]> GetEndpointsAsync(CancellationToken cancellationToken = default) =>
        (await CallAsync<GetEndpointsResponse>(new GetEndpointsRequest { EndpointUrl = EndpointUrl }, cancellationToken)).Endpoints ?? [];

    /// <summary>Creates and activates an anonymous session.</summary>
    public async Task OpenSessionAsync(string sessionName, CancellationToken cancellationToken = default)
    {
        var created = await CallAsync<CreateSessionResponse>(new CreateSessionRequest
        {
            ClientDescription = new ApplicationDescription { ApplicationUri = _options.ApplicationUri, ApplicationName = new LocalizedText(null, _options.ApplicationName), ApplicationType = ApplicationType.Client },
            EndpointUrl = EndpointUrl,
            SessionName = sessionName,
            ClientNonce = new byte[32],
            RequestedSessionTimeout = _options.SessionTimeout.TotalMilliseconds,
            MaxResponseMessageSize = _options.Transport.MaxMessageSize,
        }, cancellationToken);
        _authenticationToken = created.AuthenticationToken;
        SessionId = created.SessionId;
        var policyId = created.ServerEndpoints?.SelectMany(e => e.UserIdentityTokens ?? []).FirstOrDefault(p => p.TokenType == UserTokenType.Anonymous)?.PolicyId;
        using var token = new BinaryEncoder();
        new AnonymousIdentityToken { PolicyId = policyId }.Encode(token);
        await CallAsync<ActivateSessionResponse>(new ActivateSessionRequest
        {
            UserIdentityToken = new ExtensionObject(NodeId.Of(AnonymousIdentityToken.BinaryEncodingId), ExtensionObjectEncoding.Binary, token.Written.ToArray()),
        }, cancellationToken);
    }

    /// <summary>Reads attributes; each result carries its own status.</summary>
    public async Task<DataValue[]> ReadAsync(IReadOnlyList<ReadValueId> nodes, TimestampsToReturn timestamps = TimestampsToReturn.Both, CancellationToken cancellationToken = default) =>
        (await CallAsync<ReadResponse>(new ReadRequest { NodesToRead = [.. nodes], TimestampsToReturn = timestamps }, cancellationToken)).Results ?? [];

    /// <summary>Reads the Value attribute of one node.</summary>
    public async Task<DataValue> ReadValueAsync(NodeId node, CancellationToken cancellationToken = default) =>
        (await ReadAsync([new ReadValueId { NodeId = node, AttributeId = (uint)AttributeId.Value }], TimestampsToReturn.Both, cancellationToken))[0];

    /// <summary>Writes values; each result is the status of its write.</summary>
    public async Task<StatusCode[]> WriteAsync(IReadOnlyList<WriteValue> nodes, CancellationToken cancellationToken = default) =>
        (await CallAsync<WriteResponse>(new WriteRequest { NodesToWrite = [.. nodes] }, cancellationToken)).Results ?? [];

    /// <summary>Writes the Value attribute of one node; returns the server's status for it.</summary>
    public async Task<StatusCode> WriteValueAsync(NodeId node, Variant value, CancellationToken cancellationToken = default) =>
        (await WriteAsync([new WriteValue { NodeId = node, AttributeId = (uint)AttributeId.Value, Value = new DataValue { Value = value } }], cancellationToken))[0];

    /// <summary>The node reached from <paramref name="start"/> by hierarchical references through <paramref name="browseNames"/>.</summary>
    public async Task<NodeId> TranslateAsync(NodeId start, IReadOnlyList<QualifiedName> browseNames, CancellationToken cancellationToken = default)
    {
        var path = new BrowsePath
        {
            StartingNode = start,
            RelativePath = new RelativePath
            {
                Elements = [.. browseNames.Select(name => new RelativePathElement { ReferenceTypeId = NodeId.Of(ReferenceTypeIds.HierarchicalReferences), IncludeSubtypes = true, TargetName = name })],
            },
        };
        var result = (await CallAsync<TranslateBrowsePathsToNodeIdsResponse>(new TranslateBrowsePathsToNodeIdsRequest { BrowsePaths = [path] }, cancellationToken)).Results![0];
        if (result.StatusCode.IsBad) throw new OpcUaException(result.StatusCode, $"no node at {string.Join('/', browseNames)}");
        return result.Targets![0].TargetId.NodeId;
    }

    /// <summary>Every reference of <paramref name="node"/> matching the filter, following continuation points.</summary>
    public async Task<ReferenceDescription[]> BrowseAsync(NodeId node, NodeId? referenceType = null, BrowseDirection direction = BrowseDirection.Forward, uint maxReferencesPerCall = 0, CancellationToken cancellationToken = default)
    {
        var response = await CallAsync<BrowseResponse>(new BrowseRequest
        {
            RequestedMaxReferencesPerNode = maxReferencesPerCall,
            NodesToBrowse = [new BrowseDescription { NodeId = node, BrowseDirection = direction, ReferenceTypeId = referenceType ?? NodeId.Of(ReferenceTypeIds.HierarchicalReferences), IncludeSubtypes = true, ResultMask = 63 }],
        }, cancellationToken);
        var result = response.Results![0];
        var references = new List<ReferenceDescription>(result.References ?? []);
        while (true)
        {
            if (result.StatusCode.IsBad) throw new OpcUaException(result.StatusCode, $"Browse of {node} failed");
            if (result.ContinuationPoint is not { Length: > 0 } point) return [.. references];
            var next = await CallAsync<BrowseNextResponse>(new BrowseNextRequest { ContinuationPoints = [point] }, cancellationToken);
            result = next.Results![0];
            references.AddRange(result.References ?? []);
        }
    }

    /// <summary>Sends any request and returns its response; a ServiceFault or Bad service result throws.</summary>
    public async Task<TResponse> CallAsync<TResponse>(IServiceRequest request, CancellationToken cancellationToken = default)
        where TResponse : class, IServiceResponse
    {
        ArgumentNullException.ThrowIfNull(request);
        request.RequestHeader = new RequestHeader
        {
            AuthenticationToken = _authenticationToken,
            Timestamp = _time.GetUtcNow().UtcDateTime,
            RequestHandle = Interlocked.Increment(ref _requestHandle),
            TimeoutHint = (uint)_options.RequestTimeout.TotalMilliseconds,
        };
        var response = await SendAsync(MessageType.Message, request, cancellationToken);
        if (response is IServiceResponse { ResponseHeader.ServiceResult.IsBad: true } failed)
        {
            throw new OpcUaException(failed.ResponseHeader.ServiceResult, $"{request.GetType().Name} refused");
        }
        return response as TResponse ?? throw new OpcUaException(StatusCodes.BadUnknownResponse, $"expected {typeof(TResponse).Name}, got {response.GetType().Name}");
    }

    /// <summary>Closes the session (if any) and the secure channel, then the connection.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        if (SessionId is not null)
        {
            await CallAsync<CloseSessionResponse>(new CloseSessionRequest { DeleteSubscriptions = true }, cancellationToken);
            SessionId = null;
        }
        using var body = new BinaryEncoder();
        MessageBody.Write(body, new CloseSecureChannelRequest { RequestHeader = new RequestHeader { Timestamp = _time.GetUtcNow().UtcDateTime } });
        await SendFrameAsync(Frame(MessageType.CloseSecureChannel, NextRequestId(), body.Written), cancellationToken);
        await DisposeAsync();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_closing.IsCancellationRequested) return;
        await _closing.CancelAsync();
        if (_renewTimer is not null) await _renewTimer.DisposeAsync();
        _stream.Dispose();
        _tcp.Dispose();
        if (_receiveLoop is not null)
        {
            try
            {
                await _receiveLoop;
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
            {
            }
        }
        _assembler?.Dispose();
        _sendLock.Dispose();
    }

    private async Task HandshakeAsync(CancellationToken cancellationToken)
    {
        using (var hello = new BinaryEncoder())
        {
            new HelloMessage(TransportNegotiation.ProtocolVersion, _options.Transport, EndpointUrl).Encode(hello);
            var frame = new byte[MessageHeader.Length + hello.Length];
            new MessageHeader(MessageType.Hello, ChunkType.Final, (uint)frame.Length).Write(frame);
            hello.Written.CopyTo(frame.AsSpan(MessageHeader.Length));
            await _stream.WriteAsync(frame, cancellationToken);
        }
        var (header, body) = await ReadChunkAsync(h =>
        {
            if (h.Size > TransportLimits.MinBufferSize) throw new OpcUaException(StatusCodes.BadTcpMessageTooLarge, $"Acknowledge of {h.Size} bytes");
        }, cancellationToken);
        if (header.Type == MessageType.Error) throw Refused(body);
        if (header.Type != MessageType.Acknowledge) throw new OpcUaException(StatusCodes.BadTcpMessageTypeInvalid, $"expected Acknowledge, got {header.Type}");
        var ack = AcknowledgeMessage.Decode(body);
        // We send chunks no larger than the server receives, and receive what the server sends.
        _writer = new ChunkWriter(new TransportLimits { ReceiveBufferSize = ack.Limits.ReceiveBufferSize, MaxMessageSize = ack.Limits.MaxMessageSize, MaxChunkCount = ack.Limits.MaxChunkCount }, StatusCodes.BadRequestTooLarge);
        _assembler = new ChunkAssembler(new TransportLimits { ReceiveBufferSize = Math.Max(ack.Limits.SendBufferSize, _options.Transport.ReceiveBufferSize), MaxMessageSize = _options.Transport.MaxMessageSize, MaxChunkCount = _options.Transport.MaxChunkCount });
        _receiveLoop = ReceiveAsync(_closing.Token);
        await OpenChannelAsync(SecurityTokenRequestType.Issue, cancellationToken);
    }

    private async Task OpenChannelAsync(SecurityTokenRequestType type, CancellationToken cancellationToken)
    {
        var request = new OpenSecureChannelRequest
        {
            RequestHeader = new RequestHeader { Timestamp = _time.GetUtcNow().UtcDateTime, RequestHandle = Interlocked.Increment(ref _requestHandle) },
            RequestType = type,
            SecurityMode = MessageSecurityMode.None,
            ClientNonce = [],
            RequestedLifetime = (uint)_options.TokenLifetime.TotalMilliseconds,
        };
        var response = (OpenSecureChannelResponse)await SendAsync(MessageType.OpenSecureChannel, request, cancellationToken);
        _channelId = response.SecurityToken.ChannelId;
        _tokenId = response.SecurityToken.TokenId;
        var renewIn = TimeSpan.FromMilliseconds(response.SecurityToken.RevisedLifetime * 0.75);
        _renewTimer?.Dispose();
        _renewTimer = _time.CreateTimer(_ => _ = RenewAsync(), null, renewIn, Timeout.InfiniteTimeSpan);
    }

    private async Task RenewAsync()
    {
        try
        {
            await OpenChannelAsync(SecurityTokenRequestType.Renew, _closing.Token);
        }
        catch (Exception ex) when (ex is OpcUaException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            Lost(ex);
        }
    }

    private async Task<IEncodeable> SendAsync(MessageType type, IEncodeable request, CancellationToken cancellationToken)
    {
        var requestId = NextRequestId();
        var completion = new TaskCompletionSource<IEncodeable>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[requestId] = completion;
        try
        {
            using (var body = new BinaryEncoder())
            {
                MessageBody.Write(body, request);
                await SendFrameAsync(Frame(type, requestId, body.Written), cancellationToken);
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.RequestTimeout);
            try
            {
                return await completion.Task.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new OpcUaException(StatusCodes.BadTimeout, $"no response within {_options.RequestTimeout.TotalSeconds} s");
            }
        }
        finally
        {
            _pending.TryRemove(requestId, out _);
        }
    }

    private byte[] Frame(MessageType type, uint requestId, ReadOnlySpan<byte> body)
    {
        if (type == MessageType.OpenSecureChannel) return _writer.Frame(type, _channelId, NoneSecurityHeader, requestId, body);
        Span<byte> token = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(token, _tokenId);
        return _writer.Frame(type, _channelId, token, requestId, body);
    }

    private async Task SendFrameAsync(byte[] frame, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            await _stream.WriteAsync(frame, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            throw new OpcUaException(StatusCodes.BadCommunicationError, $"sending failed: {ex.Message}");
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task ReceiveAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var (header, body) = await ReadChunkAsync(_assembler.CheckHeader, cancellationToken);
                if (header.Type == MessageType.Error) throw Refused(body);
                var decoder = new BinaryDecoder(body);
                decoder.ReadUInt32();
                if (header.Type == MessageType.OpenSecureChannel) AsymmetricSecurityHeader.Read(ref decoder); else decoder.ReadUInt32();
                var sequence = SequenceHeader.Read(ref decoder);
                var message = _assembler.Add(header.Chunk, body.AsSpan(decoder.Position));
                if (message.IsEmpty) continue;
                var response = MessageBody.Read(message.Span);
                if (_pending.TryGetValue(sequence.RequestId, out var completion)) completion.TrySetResult(response);
            }
        }
        catch (Exception ex) when (ex is OpcUaException or IOException or SocketException or EndOfStreamException or ObjectDisposedException)
        {
            Lost(ex);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Reads one chunk; <paramref name="check"/> vets its header before the body is allocated.</summary>
    private async Task<(MessageHeader Header, byte[] Body)> ReadChunkAsync(Action<MessageHeader> check, CancellationToken cancellationToken)
    {
        var headerBytes = new byte[MessageHeader.Length];
        await _stream.ReadExactlyAsync(headerBytes, cancellationToken);
        var header = MessageHeader.Read(headerBytes);
        check(header);
        var body = new byte[header.Size - MessageHeader.Length];
        await _stream.ReadExactlyAsync(body, cancellationToken);
        return (header, body);
    }

    private void Lost(Exception error)
    {
        foreach (var (_, completion) in _pending) completion.TrySetException(error is OpcUaException ? error : new OpcUaException(StatusCodes.BadConnectionClosed, error.Message));
        if (!_closing.IsCancellationRequested) ConnectionLost?.Invoke(error);
    }

    private uint NextRequestId() => (uint)Interlocked.Increment(ref _requestId);

    private static OpcUaException Refused(byte[] body)
    {
        var error = ErrorMessage.Decode(body);
        return new OpcUaException(error.Status, error.Reason ?? "the server closed the connection");
    }

    private static byte[] EncodeNoneHeader()
    {
        using var encoder = new BinaryEncoder();
        new AsymmetricSecurityHeader(SecurityPolicyUris.None, null, null).Write(encoder);
        return encoder.Written.ToArray();
    }
}
