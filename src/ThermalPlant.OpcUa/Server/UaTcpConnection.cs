using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Messages;
using ThermalPlant.OpcUa.SecureChannel;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.OpcUa.Server.Subscriptions;
using ThermalPlant.OpcUa.Transport;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server;

/// <summary>
/// One client connection: Hello and Acknowledge, then OpenSecureChannel, service messages and
/// CloseSecureChannel, each chunk checked against the negotiated limits before its body is read. A protocol
/// violation is answered with an Error message and the connection is closed; the server goes on. Until a session is
/// activated on it, the connection notes each handshake step so that the server can close it when the next step is late
/// (<see cref="Overdue"/>), and the server may give it up for a newcomer (<see cref="GiveUp"/>).
/// </summary>
[SuppressMessage("Reliability", "CA1001", Justification = "The run disposes its lifetime source when it ends; a connection has no life after its run.")]
internal sealed class UaTcpConnection(Socket socket, OpcUaServerOptions options, ServerSecurity security, ServiceDispatcher dispatcher, Func<uint> nextChannelId, TimeProvider time) : IResponder
{
    /// <summary>How long an Error message may take to go out, and how long the peer's unread bytes are drained after it.</summary>
    private static readonly TimeSpan ErrorGrace = TimeSpan.FromSeconds(1);

    /// <summary>Frames a peer has not read yet before the connection is given up as stuck.</summary>
    private const int MaxQueuedFrames = 10_000;

    /// <summary>The largest response size kept as the next response's starting capacity.</summary>
    private const int MaxBodyHint = 1024 * 1024;

    /// <summary>
    /// The largest buffer the read loop's encoder keeps between responses: a 1,000-value ReadResponse fits, and a
    /// connection that once answered a large HistoryRead or Browse does not hold its buffer while idle.
    /// </summary>
    private const int MaxKeptLoopBody = 64 * 1024;

    /// <summary>Bytes read and dropped after an Error message before the socket is closed anyway.</summary>
    private const int MaxDrainedBytes = 64 * 1024;

    // Chunks are numbered when framed: framing and queueing happen together under this lock and one flush at a time
    // writes the queue in order, because responses to Publish come from subscription timers while the read loop
    // answers others. While the read loop answers chunks it has buffered already, it flushes once after them, on its
    // own thread: a send that the socket takes at once costs no hand-over to another thread. A response queued at other
    // times (Publish, from a subscription's timer) is flushed the same way on the thread that made it; a flush whose
    // send waits goes on on the thread pool.
    private readonly Lock _frameLock = new();
    // Frames are rented from the shared pool and returned once written (or dropped with a connection that failed).
    private List<ArraySegment<byte>> _pending = [];
    private List<ArraySegment<byte>> _sending = [];
    private bool _flushing;
    private bool _batching;
    private Task _flush = Task.CompletedTask;
    private NetworkStream? _stream;
    private CancellationToken _writeToken;
    private ServerSecureChannel? _channel;
    private ChunkWriter? _writer;
    private volatile bool _open;
    private uint _lastTokenId;
    private int _lastBodyLength;
    // The read loop's response encoder, kept from response to response (responses made on other threads, such as
    // Publish's, take their own); given up when a response grew it beyond MaxKeptLoopBody.
    private BinaryEncoder? _loopBody;

    // The handshake's progress, read by the server's deadline sweep on another thread.
    private readonly CancellationTokenSource _lifetime = new();
    private readonly long _acceptedTicks = time.GetUtcNow().UtcTicks;
    private long _lastStepTicks = time.GetUtcNow().UtcTicks;
    private volatile string _expected = "Hello";
    private volatile bool _activated;
    private int _activating;
    private ErrorMessage? _givenUp;
    private long _maxResponseBytes = TransportLimits.Default.MaxMessageSize;
    private readonly BackgroundRequests _background = new(options.MaxBackgroundRequestsPerConnection);

    /// <summary>The peer's address, as the per-address limit counts it.</summary>
    public System.Net.IPAddress? PeerAddress { get; } = ConnectionTable.AddressOf(socket.RemoteEndPoint);

    /// <summary>The peer's address and port, for logs.</summary>
    public System.Net.EndPoint? Peer { get; } = socket.RemoteEndPoint;

    /// <summary>Whether a session was activated on this connection; such a connection is never given up.</summary>
    public bool IsActivated => _activated;

    /// <inheritdoc />
    public bool IsOpen => _open;

    /// <inheritdoc />
    public void Respond(uint requestId, IServiceResponse response)
    {
        // Answers that come later are Publish responses and ActivateSession's, which ends the handshake when it succeeded.
        if (!_activated && Interlocked.Exchange(ref _activating, 0) == 1)
        {
            if (response is ActivateSessionResponse { ResponseHeader.ServiceResult.IsGood: true }) _activated = true;
            else Step("ActivateSession");
        }
        EnqueueResponse(response, requestId, _lastTokenId);
    }

    /// <summary>
    /// Why the connection is past its handshake deadlines at <paramref name="now"/>: the next step not begun within
    /// <see cref="OpcUaServerOptions.HandshakeStepTimeout"/> of the last, or no session activated within
    /// <see cref="OpcUaServerOptions.SessionActivationTimeout"/> of connecting; null when it is not (or while the server
    /// itself is checking an ActivateSession).
    /// </summary>
    public string? Overdue(DateTimeOffset now)
    {
        if (_activated || Volatile.Read(ref _activating) != 0) return null;
        if (now.UtcTicks - _acceptedTicks > options.SessionActivationTimeout.Ticks)
        {
            return $"no session activated within {options.SessionActivationTimeout.TotalSeconds:0.###} s of connecting";
        }
        if (now.UtcTicks - Volatile.Read(ref _lastStepTicks) > options.HandshakeStepTimeout.Ticks)
        {
            return $"no {_expected} within {options.HandshakeStepTimeout.TotalSeconds:0.###} s";
        }
        return null;
    }

    /// <summary>
    /// Ends the connection with an Error message of <paramref name="status"/>; false when it was given up already.
    /// </summary>
    public bool GiveUp(StatusCode status, string reason)
    {
        if (Interlocked.CompareExchange(ref _givenUp, new ErrorMessage(status, reason), null) is not null) return false;
        try
        {
            _lifetime.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection ended on its own meanwhile.
        }
        return true;
    }

    /// <summary>
    /// Refuses a connection the server takes no more of: an Error message with <paramref name="status"/>, then the
    /// socket is closed (Part 6, 7.1.5: the server may answer a connection it will not serve with an Error).
    /// </summary>
    public static async Task RefuseAsync(Socket socket, StatusCode status, string reason, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        await TrySendErrorAsync(stream, socket, status, reason, time, cancellationToken);
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        // The reader starts small and grows to a chunk's size only while it reads one (at most the receive buffer offered).
        using var reader = new ChunkReader(stream, options.Transport.ReceiveBufferSize);
        using var writing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var running = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
        var serverStopping = cancellationToken;
        cancellationToken = running.Token;
        try
        {
            var (assembler, writer) = await HelloAsync(stream, reader, cancellationToken);
            Step("OpenSecureChannel");
            _writer = writer;
            _stream = stream;
            _writeToken = writing.Token;
            _open = true;
            using (assembler)
            {
                // One delegate for the connection's life, not one per chunk read.
                Action<MessageHeader> checkHeader = assembler.CheckHeader;
                // Whether the loop is answering chunks it had buffered: the frame lock is taken once per batch to say so.
                var batching = false;
                while (true)
                {
                    // Thrown, not a quiet end of the loop: a connection given up (for room, or late) between the Hello and
                    // its first read must still tell its peer why, which the catch below does.
                    cancellationToken.ThrowIfCancellationRequested();
                    var next = await reader.ReadAsync(checkHeader, cancellationToken);
                    if (next is not ({ } header, var chunk)) return;
                    if (!batching)
                    {
                        lock (_frameLock) _batching = true;
                        batching = true;
                    }
                    switch (header.Type)
                    {
                        case MessageType.OpenSecureChannel:
                            // Off the read loop, which waits for it (the next chunk may need the new keys): a secured
                            // channel reads the trust lists from disk, checks a chain and runs two private-key operations.
                            var opened = await OpenOffLoopAsync(chunk, writer, cancellationToken);
                            lock (_frameLock) Enqueue(opened);
                            if (!_activated) Step("CreateSession");
                            break;
                        case MessageType.Message:
                            if (Message(chunk.Span, header.Chunk, assembler) is ({ } response, var requestId, var tokenId)) EnqueueResponse(response, requestId, tokenId, _loopBody ??= new BinaryEncoder());
                            break;
                        case MessageType.CloseSecureChannel:
                            Unprotect(chunk.Span, out _, time.GetUtcNow().UtcDateTime);
                            return;
                        default:
                            throw new OpcUaException(StatusCodes.BadTcpMessageTypeInvalid, $"{header.Type} after the Hello");
                    }
                    if (!reader.HasBufferedChunk)
                    {
                        EndBatch();
                        batching = false;
                        // A message of several chunks was joined in a pooled buffer: it goes back while the peer is quiet.
                        assembler.ReleaseBuffer();
                    }
                }
            }
        }
        catch (OpcUaException ex)
        {
            await StopWritingAsync(writing);
            await TrySendErrorAsync(stream, socket, ex.Status, ex.Message, time, serverStopping);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or EndOfStreamException && Volatile.Read(ref _givenUp) is { } givenUp && !serverStopping.IsCancellationRequested)
        {
            // The server gave the connection up (a handshake deadline, or room for a newcomer): the peer is told why.
            await StopWritingAsync(writing);
            await TrySendErrorAsync(stream, socket, givenUp.Status, givenUp.Reason ?? string.Empty, time, serverStopping);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or EndOfStreamException)
        {
            // The peer went away or the server stops: nothing to answer.
        }
        finally
        {
            await StopWritingAsync(writing);
            _loopBody?.Dispose();
            _lifetime.Dispose();
        }
    }

    /// <summary>Notes that a handshake step arrived; the next, <paramref name="expected"/>, has its own deadline from now.</summary>
    private void Step(string expected)
    {
        _expected = expected;
        Volatile.Write(ref _lastStepTicks, time.GetUtcNow().UtcTicks);
    }

    /// <summary>Lets queued responses go out (briefly), then stops writing.</summary>
    private async Task StopWritingAsync(CancellationTokenSource writing)
    {
        Task flush;
        lock (_frameLock)
        {
            _open = false;
            _batching = false;
            StartFlushIfIdle();
            flush = _flush;
        }
        try
        {
            await flush.WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (TimeoutException)
        {
            await writing.CancelAsync();
            await flush;
        }
    }

    /// <summary>The read loop answered what it had buffered: what it queued goes out now, on this thread when the socket takes it at once.</summary>
    private void EndBatch()
    {
        lock (_frameLock)
        {
            _batching = false;
            if (!TakeFlush()) return;
        }
        // Outside the lock: the flush runs here until its first send that has to wait, then goes on by itself.
        _flush = FlushAsync();
    }

    /// <summary>Starts a flush on the thread pool when frames wait and none runs; the caller holds the frame lock.</summary>
    private void StartFlushIfIdle()
    {
        if (TakeFlush()) _flush = Task.Run(FlushAsync, CancellationToken.None);
    }

    /// <summary>Whether the caller is to flush: frames wait and no flush runs; the caller holds the frame lock.</summary>
    private bool TakeFlush()
    {
        if (_flushing || _pending.Count == 0 || _stream is null) return false;
        _flushing = true;
        return true;
    }

    /// <summary>Writes the queued frames in order until none is left; several at once go out in one send.</summary>
    private async Task FlushAsync()
    {
        try
        {
            while (true)
            {
                lock (_frameLock)
                {
                    if (_pending.Count == 0)
                    {
                        _flushing = false;
                        return;
                    }
                    (_pending, _sending) = (_sending, _pending);
                }
                await WriteFramesAsync(_stream!, _sending, _writeToken);
                foreach (var frame in _sending) ArrayPool<byte>.Shared.Return(frame.Array!);
                _sending.Clear();
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer is gone or stuck; the read loop ends the connection.
            _open = false;
            lock (_frameLock)
            {
                _pending.Clear();
                _sending.Clear();
                _flushing = false;
            }
        }
    }

    /// <summary>Sends <paramref name="frames"/>; small ones are copied into one pooled buffer so that they cost one send.</summary>
    private static async ValueTask WriteFramesAsync(NetworkStream stream, List<ArraySegment<byte>> frames, CancellationToken cancellationToken)
    {
        const int Coalesced = 64 * 1024;
        var total = 0;
        foreach (var frame in frames) total += frame.Count;
        if (frames.Count == 1 || total > Coalesced)
        {
            foreach (var frame in frames) await stream.WriteAsync(frame.AsMemory(), cancellationToken);
            return;
        }
        var joined = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            var at = 0;
            foreach (var frame in frames)
            {
                frame.AsSpan().CopyTo(joined.AsSpan(at));
                at += frame.Count;
            }
            await stream.WriteAsync(joined.AsMemory(0, total), cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(joined);
        }
    }

    /// <summary>Queues a frame; the caller holds the frame lock. A peer that stops reading is cut off.</summary>
    private void Enqueue(ArraySegment<byte> frame)
    {
        if (!_open) return;
        if (_pending.Count >= MaxQueuedFrames)
        {
            _open = false;
            socket.Dispose();
            return;
        }
        _pending.Add(frame);
    }

    private async Task<(ChunkAssembler Assembler, ChunkWriter Writer)> HelloAsync(NetworkStream stream, ChunkReader reader, CancellationToken cancellationToken)
    {
        // The Hello's deadline is the server's sweep (HandshakeStepTimeout), as for every later step.
        var (header, chunk) = await reader.ReadAsync(h =>
        {
            if (h.Type != MessageType.Hello) throw new OpcUaException(StatusCodes.BadTcpMessageTypeInvalid, $"expected Hello, got {h.Type}");
            if (h.Size > TransportLimits.MinBufferSize) throw new OpcUaException(StatusCodes.BadTcpMessageTooLarge, "Hello larger than 8192 bytes");
        }, cancellationToken) ?? throw new EndOfStreamException();
        var hello = HelloMessage.Decode(chunk.Span[MessageHeader.Length..]);
        var ack = TransportNegotiation.Accept(hello, options.Transport);
        using var body = new BinaryEncoder();
        ack.Encode(body);
        await SendAsync(stream, Frame(MessageType.Acknowledge, body.Written), cancellationToken);

        var receive = new TransportLimits { ReceiveBufferSize = ack.Limits.ReceiveBufferSize, MaxMessageSize = options.Transport.MaxMessageSize, MaxChunkCount = options.Transport.MaxChunkCount };
        var peer = new TransportLimits { ReceiveBufferSize = ack.Limits.SendBufferSize, MaxMessageSize = hello.Limits.MaxMessageSize, MaxChunkCount = hello.Limits.MaxChunkCount };
        _maxResponseBytes = MaxResponseBytes(peer, options.Transport);
        return (new ChunkAssembler(receive), new ChunkWriter(peer, StatusCodes.BadResponseTooLarge));
    }

    /// <summary>
    /// Runs <see cref="Open"/> on the thread pool. A method of its own: a lambda in the read loop would make the compiler
    /// allocate its closure for every chunk read, not only for an OpenSecureChannel's.
    /// </summary>
    private Task<ArraySegment<byte>> OpenOffLoopAsync(Memory<byte> chunk, ChunkWriter writer, CancellationToken cancellationToken) =>
        Task.Run(() => Open(chunk.Span, writer), cancellationToken);

    private ArraySegment<byte> Open(Span<byte> chunk, ChunkWriter writer)
    {
        var decoder = new BinaryDecoder(chunk[MessageHeader.Length..]);
        var channelId = decoder.ReadUInt32();
        var header = AsymmetricSecurityHeader.Read(ref decoder);
        var headerLength = MessageHeader.Length + decoder.Position;
        var policy = security.Policy(header.SecurityPolicyUri);
        if (_channel is null)
        {
            _channel = new ServerSecureChannel(nextChannelId(), options.SecureChannel, time);
        }
        else if (channelId != _channel.ChannelId)
        {
            throw new OpcUaException(StatusCodes.BadTcpSecureChannelUnknown, $"channel {channelId} is not this connection's");
        }

        var client = policy.IsNone ? null : security.AcceptClient(policy, header.SenderCertificate, header.ReceiverCertificateThumbprint);
        using var clientKey = client?.GetRSAPublicKey();
        using var serverKey = client is null ? null : security.PrivateKey();
        var chunkSecurity = clientKey is null || serverKey is null ? ChunkSecurity.None : new AsymmetricChunkSecurity(policy, serverKey, clientKey);
        var plain = chunk.Slice(headerLength, chunkSecurity.Unprotect(chunk, headerLength));
        var sequenceDecoder = new BinaryDecoder(plain);
        var sequence = SequenceHeader.Read(ref sequenceDecoder);
        if (MessageBody.Read(plain[SequenceHeader.Length..]) is not OpenSecureChannelRequest request)
        {
            throw new OpcUaException(StatusCodes.BadTcpMessageTypeInvalid, "an OPN chunk must carry OpenSecureChannelRequest");
        }
        _channel.CheckSequenceNumber(sequence.SequenceNumber);
        var response = _channel.Open(request, policy, client);
        using var body = new BinaryEncoder();
        MessageBody.Write(body, response);
        using var responseHeader = new BinaryEncoder();
        new AsymmetricSecurityHeader(policy.Uri, client is null ? null : security.Certificate!.RawData, client is null ? null : ApplicationCertificates.Thumbprint(client)).Write(responseHeader);
        return writer.FrameRented(MessageType.OpenSecureChannel, _channel.ChannelId, responseHeader.Written, sequence.RequestId, body.Written, chunkSecurity);
    }

    private (IEncodeable? Response, uint RequestId, uint TokenId) Message(Span<byte> chunk, ChunkType chunkType, ChunkAssembler assembler)
    {
        // One clock reading per request: the token's expiry, the response's timestamp and a Read's server timestamps.
        var now = time.GetUtcNow().UtcDateTime;
        var plain = Unprotect(chunk, out var tokenId, now);
        _lastTokenId = tokenId;
        var decoder = new BinaryDecoder(plain);
        var sequence = SequenceHeader.Read(ref decoder);
        var message = assembler.Add(chunkType, plain[SequenceHeader.Length..]);
        if (message.IsEmpty) return (null, sequence.RequestId, tokenId);

        IEncodeable? response;
        try
        {
            var request = MessageBody.Read(message, nodeIds: dispatcher.NodeIds);
            if (!_activated)
            {
                if (request is ActivateSessionRequest) Volatile.Write(ref _activating, 1);
                else Step(request is CreateSessionRequest ? "ActivateSession" : _expected);
            }
            response = dispatcher.Dispatch(request, _channel!, sequence.RequestId, this, _maxResponseBytes, _background, now);
            // An ActivateSession answered at once was refused before it ran (no slot, a limit): the handshake goes on.
            if (response is not null && request is ActivateSessionRequest && !_activated && Interlocked.Exchange(ref _activating, 0) == 1) Step("ActivateSession");
        }
        catch (OpcUaException ex) when (ex.Status.Code is StatusCodes.BadDecodingError or StatusCodes.BadEncodingLimitsExceeded or StatusCodes.BadServiceUnsupported)
        {
            response = new ServiceFault { ResponseHeader = new ResponseHeader { Timestamp = now, ServiceResult = ex.Status } };
        }
        return (response, sequence.RequestId, tokenId);
    }

    /// <summary>
    /// Encodes a response (into <paramref name="reused"/>, the read loop's encoder, when given), then frames and queues it
    /// in order; one larger than the client accepts becomes BadResponseTooLarge.
    /// </summary>
    private void EnqueueResponse(IEncodeable response, uint requestId, uint tokenId, BinaryEncoder? reused = null)
    {
        // Sized as the last response was: a client polling the same nodes gets answers of one size, which then need no
        // growing (a 1,000-value ReadResponse grew from 256 bytes through seven copies). The read loop's encoder keeps
        // its buffer instead.
        var body = reused ?? new BinaryEncoder(Math.Max(256, Volatile.Read(ref _lastBodyLength)));
        bool flush;
        try
        {
            body.Clear();
            MessageBody.Write(body, response);
            Volatile.Write(ref _lastBodyLength, Math.Min(body.Length, MaxBodyHint));
            lock (_frameLock)
            {
                Enqueue(FrameResponse(body.Written, requestId, tokenId));
                flush = !_batching && TakeFlush();
            }
        }
        finally
        {
            if (reused is null) body.Dispose();
            else if (body.Capacity > MaxKeptLoopBody) DropLoopBody();
        }
        // Outside the lock, as at the end of a batch: on this thread until a send has to wait.
        if (flush) _flush = FlushAsync();
    }

    /// <summary>Gives up the read loop's encoder after a large response, so that a connection does not keep its buffer.</summary>
    private void DropLoopBody()
    {
        _loopBody?.Dispose();
        _loopBody = null;
    }

    private ArraySegment<byte> FrameResponse(ReadOnlySpan<byte> body, uint requestId, uint tokenId)
    {
        Span<byte> symmetric = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(symmetric, tokenId);
        var chunkSecurity = _channel!.SendSecurity(tokenId);
        try
        {
            return _writer!.FrameRented(MessageType.Message, _channel.ChannelId, symmetric, requestId, body, chunkSecurity);
        }
        catch (OpcUaException ex) when (ex.Status.Code == StatusCodes.BadResponseTooLarge)
        {
            using var fault = new BinaryEncoder();
            MessageBody.Write(fault, new ServiceFault { ResponseHeader = new ResponseHeader { Timestamp = time.GetUtcNow().UtcDateTime, ServiceResult = ex.Status } });
            return _writer!.FrameRented(MessageType.Message, _channel.ChannelId, symmetric, requestId, fault.Written, chunkSecurity);
        }
    }

    /// <summary>
    /// Checks the channel id and token of a MSG or CLO chunk (whole, message header included), then verifies and
    /// decrypts it under that token's keys and checks its sequence number, the token's expiry at <paramref name="now"/>.
    /// Returns the sequence header and body.
    /// </summary>
    private Span<byte> Unprotect(Span<byte> chunk, out uint tokenId, DateTime now)
    {
        if (_channel is not { IsOpen: true }) throw new OpcUaException(StatusCodes.BadTcpSecureChannelUnknown, "no secure channel is open");
        var decoder = new BinaryDecoder(chunk[MessageHeader.Length..]);
        var channelId = decoder.ReadUInt32();
        tokenId = decoder.ReadUInt32();
        var headerLength = MessageHeader.Length + decoder.Position;
        var plain = chunk.Slice(headerLength, _channel.CheckToken(channelId, tokenId, now).Unprotect(chunk, headerLength));
        if (plain.Length < SequenceHeader.Length) throw new OpcUaException(StatusCodes.BadTcpMessageTypeInvalid, "a chunk without its sequence header");
        _channel.CheckSequenceNumber(System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(plain));
        return plain;
    }

    /// <summary>
    /// The largest response body worth building: what the client accepts (its MaxMessageSize, and its MaxChunkCount
    /// chunks less their headers and security), and never more than the server itself accepts; 0 means no limit.
    /// </summary>
    private static long MaxResponseBytes(TransportLimits peer, TransportLimits own)
    {
        // Per chunk: message, security and sequence headers, padding and a signature of the largest key.
        const int ChunkOverhead = 1024;
        var limit = own.MaxMessageSize == 0 ? long.MaxValue : own.MaxMessageSize;
        if (peer.MaxMessageSize != 0) limit = Math.Min(limit, peer.MaxMessageSize);
        if (peer.MaxChunkCount != 0) limit = Math.Min(limit, (long)peer.MaxChunkCount * Math.Max(0, (long)peer.ReceiveBufferSize - ChunkOverhead));
        return limit == long.MaxValue ? TransportLimits.Default.MaxMessageSize : limit;
    }

    private static byte[] Frame(MessageType type, ReadOnlySpan<byte> body)
    {
        var frame = new byte[MessageHeader.Length + body.Length];
        new MessageHeader(type, ChunkType.Final, (uint)frame.Length).Write(frame);
        body.CopyTo(frame.AsSpan(MessageHeader.Length));
        return frame;
    }

    private static async Task SendAsync(NetworkStream stream, byte[] frame, CancellationToken cancellationToken) =>
        await stream.WriteAsync(frame, cancellationToken);

    /// <summary>
    /// Sends an Error message, then half-closes and drains what the peer had sent (briefly): closing with unread bytes
    /// would reset the connection, and a reset can discard the Error before the peer reads it.
    /// </summary>
    private static async Task TrySendErrorAsync(NetworkStream stream, Socket socket, StatusCode status, string reason, TimeProvider time, CancellationToken cancellationToken)
    {
        var drain = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            using var body = new BinaryEncoder();
            new ErrorMessage(status, reason).Encode(body);
            using var timeout = new CancellationTokenSource(ErrorGrace, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            await stream.WriteAsync(Frame(MessageType.Error, body.Written), linked.Token);
            socket.Shutdown(SocketShutdown.Send);
            var drained = 0;
            int read;
            while (drained < MaxDrainedBytes && (read = await stream.ReadAsync(drain, linked.Token)) > 0) drained += read;
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer is gone already or says nothing more; the connection closes either way.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(drain);
        }
    }
}
