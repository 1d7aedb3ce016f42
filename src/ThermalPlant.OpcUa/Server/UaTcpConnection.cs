using System.Buffers;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Messages;
using ThermalPlant.OpcUa.SecureChannel;
using ThermalPlant.OpcUa.Server.Subscriptions;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.OpcUa.Transport;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server;

/// <summary>
/// One client connection: Hello and Acknowledge, then OpenSecureChannel, service messages and
/// CloseSecureChannel, each chunk checked against the negotiated limits before its body is read. A protocol
/// violation is answered with an Error message and the connection is closed; the server goes on.
/// </summary>
internal sealed class UaTcpConnection(Socket socket, OpcUaServerOptions options, ServerSecurity security, ServiceDispatcher dispatcher, Func<uint> nextChannelId, TimeProvider time) : IResponder
{
    /// <summary>Frames a peer has not read yet before the connection is given up as stuck.</summary>
    private const int MaxQueuedFrames = 10_000;

    // Chunks are numbered when framed: framing and queueing happen together under this lock and one loop writes the
    // queue in order, because responses to Publish come from subscription timers while the read loop answers others.
    private readonly Lock _frameLock = new();
    private readonly Channel<byte[]> _outgoing = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private ServerSecureChannel? _channel;
    private ChunkWriter? _writer;
    private volatile bool _open;
    private int _queued;
    private uint _lastTokenId;

    /// <inheritdoc />
    public bool IsOpen => _open;

    /// <inheritdoc />
    public void Respond(uint requestId, IServiceResponse response) => EnqueueResponse(response, requestId, _lastTokenId);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(options.Transport.ReceiveBufferSize, TransportLimits.MinBufferSize));
        using var writing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task? writeLoop = null;
        try
        {
            var (assembler, writer) = await HelloAsync(stream, buffer, cancellationToken);
            _writer = writer;
            _open = true;
            writeLoop = WriteAsync(stream, writing.Token);
            using (assembler)
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    var next = await ReadChunkAsync(stream, buffer, assembler.CheckHeader, cancellationToken);
                    if (next is not { } header) return;
                    var chunk = buffer.AsMemory(0, (int)header.Size);
                    switch (header.Type)
                    {
                        case MessageType.OpenSecureChannel:
                            lock (_frameLock) Enqueue(Open(chunk.Span, writer));
                            break;
                        case MessageType.Message:
                            if (Message(chunk.Span, header.Chunk, assembler) is ({ } response, var requestId, var tokenId)) EnqueueResponse(response, requestId, tokenId);
                            break;
                        case MessageType.CloseSecureChannel:
                            Unprotect(chunk.Span, out _);
                            return;
                        default:
                            throw new OpcUaException(StatusCodes.BadTcpMessageTypeInvalid, $"{header.Type} after the Hello");
                    }
                }
            }
        }
        catch (OpcUaException ex)
        {
            await StopWritingAsync(writeLoop, writing);
            await TrySendErrorAsync(stream, ex.Status, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or EndOfStreamException)
        {
            // The peer went away or the server stops: nothing to answer.
        }
        finally
        {
            await StopWritingAsync(writeLoop, writing);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Lets queued responses go out (briefly), then stops the write loop.</summary>
    private async Task StopWritingAsync(Task? writeLoop, CancellationTokenSource writing)
    {
        lock (_frameLock)
        {
            _open = false;
            _outgoing.Writer.TryComplete();
        }
        if (writeLoop is null) return;
        try
        {
            await writeLoop.WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (TimeoutException)
        {
            await writing.CancelAsync();
            await writeLoop;
        }
    }

    private async Task WriteAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var frame in _outgoing.Reader.ReadAllAsync(cancellationToken))
            {
                Interlocked.Decrement(ref _queued);
                await stream.WriteAsync(frame, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer is gone or stuck; the read loop ends the connection.
            _open = false;
        }
    }

    /// <summary>Queues a frame; the caller holds the frame lock. A peer that stops reading is cut off.</summary>
    private void Enqueue(byte[] frame)
    {
        if (!_open) return;
        if (Interlocked.Increment(ref _queued) > MaxQueuedFrames)
        {
            _open = false;
            _outgoing.Writer.TryComplete();
            socket.Dispose();
            return;
        }
        _outgoing.Writer.TryWrite(frame);
    }

    private async Task<(ChunkAssembler Assembler, ChunkWriter Writer)> HelloAsync(NetworkStream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        using var helloTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        helloTimeout.CancelAfter(options.HelloTimeout);
        var header = await ReadChunkAsync(stream, buffer, h =>
        {
            if (h.Type != MessageType.Hello) throw new OpcUaException(StatusCodes.BadTcpMessageTypeInvalid, $"expected Hello, got {h.Type}");
            if (h.Size > TransportLimits.MinBufferSize) throw new OpcUaException(StatusCodes.BadTcpMessageTooLarge, "Hello larger than 8192 bytes");
        }, helloTimeout.Token) ?? throw new EndOfStreamException();
        var hello = HelloMessage.Decode(buffer.AsSpan(MessageHeader.Length, (int)header.Size - MessageHeader.Length));
        var ack = TransportNegotiation.Accept(hello, options.Transport);
        using var body = new BinaryEncoder();
        ack.Encode(body);
        await SendAsync(stream, Frame(MessageType.Acknowledge, body.Written), cancellationToken);

        var receive = new TransportLimits { ReceiveBufferSize = ack.Limits.ReceiveBufferSize, MaxMessageSize = options.Transport.MaxMessageSize, MaxChunkCount = options.Transport.MaxChunkCount };
        var peer = new TransportLimits { ReceiveBufferSize = ack.Limits.SendBufferSize, MaxMessageSize = hello.Limits.MaxMessageSize, MaxChunkCount = hello.Limits.MaxChunkCount };
        return (new ChunkAssembler(receive), new ChunkWriter(peer, StatusCodes.BadResponseTooLarge));
    }

    private byte[] Open(Span<byte> chunk, ChunkWriter writer)
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
        return writer.Frame(MessageType.OpenSecureChannel, _channel.ChannelId, responseHeader.Written, sequence.RequestId, body.Written, chunkSecurity);
    }

    private (IEncodeable? Response, uint RequestId, uint TokenId) Message(Span<byte> chunk, ChunkType chunkType, ChunkAssembler assembler)
    {
        var plain = Unprotect(chunk, out var tokenId);
        _lastTokenId = tokenId;
        var decoder = new BinaryDecoder(plain);
        var sequence = SequenceHeader.Read(ref decoder);
        var message = assembler.Add(chunkType, plain[SequenceHeader.Length..]);
        if (message.IsEmpty) return (null, sequence.RequestId, tokenId);

        IEncodeable? response;
        try
        {
            response = dispatcher.Dispatch(MessageBody.Read(message.Span), _channel!, sequence.RequestId, this);
        }
        catch (OpcUaException ex) when (ex.Status.Code is StatusCodes.BadDecodingError or StatusCodes.BadEncodingLimitsExceeded or StatusCodes.BadServiceUnsupported)
        {
            response = new ServiceFault { ResponseHeader = new ResponseHeader { Timestamp = time.GetUtcNow().UtcDateTime, ServiceResult = ex.Status } };
        }
        return (response, sequence.RequestId, tokenId);
    }

    /// <summary>Encodes a response, then frames and queues it in order; one larger than the client accepts becomes BadResponseTooLarge.</summary>
    private void EnqueueResponse(IEncodeable response, uint requestId, uint tokenId)
    {
        using var body = new BinaryEncoder();
        MessageBody.Write(body, response);
        lock (_frameLock) Enqueue(FrameResponse(body.Written, requestId, tokenId));
    }

    private byte[] FrameResponse(ReadOnlySpan<byte> body, uint requestId, uint tokenId)
    {
        Span<byte> symmetric = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(symmetric, tokenId);
        var chunkSecurity = _channel!.SendSecurity(tokenId);
        try
        {
            return _writer!.Frame(MessageType.Message, _channel.ChannelId, symmetric, requestId, body, chunkSecurity);
        }
        catch (OpcUaException ex) when (ex.Status.Code == StatusCodes.BadResponseTooLarge)
        {
            using var fault = new BinaryEncoder();
            MessageBody.Write(fault, new ServiceFault { ResponseHeader = new ResponseHeader { Timestamp = time.GetUtcNow().UtcDateTime, ServiceResult = ex.Status } });
            return _writer!.Frame(MessageType.Message, _channel.ChannelId, symmetric, requestId, fault.Written, chunkSecurity);
        }
    }

    /// <summary>
    /// Checks the channel id and token of a MSG or CLO chunk (whole, message header included), then verifies and
    /// decrypts it under that token's keys and checks its sequence number. Returns the sequence header and body.
    /// </summary>
    private Span<byte> Unprotect(Span<byte> chunk, out uint tokenId)
    {
        if (_channel is not { IsOpen: true }) throw new OpcUaException(StatusCodes.BadTcpSecureChannelUnknown, "no secure channel is open");
        var decoder = new BinaryDecoder(chunk[MessageHeader.Length..]);
        var channelId = decoder.ReadUInt32();
        tokenId = decoder.ReadUInt32();
        var headerLength = MessageHeader.Length + decoder.Position;
        var plain = chunk.Slice(headerLength, _channel.CheckToken(channelId, tokenId).Unprotect(chunk, headerLength));
        if (plain.Length < SequenceHeader.Length) throw new OpcUaException(StatusCodes.BadTcpMessageTypeInvalid, "a chunk without its sequence header");
        _channel.CheckSequenceNumber(System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(plain));
        return plain;
    }

    /// <summary>Reads one chunk into <paramref name="buffer"/>; null when the peer closed cleanly between chunks.</summary>
    private static async Task<MessageHeader?> ReadChunkAsync(NetworkStream stream, byte[] buffer, Action<MessageHeader> check, CancellationToken cancellationToken)
    {
        var first = await stream.ReadAsync(buffer.AsMemory(0, MessageHeader.Length), cancellationToken);
        if (first == 0) return null;
        if (first < MessageHeader.Length) await stream.ReadExactlyAsync(buffer.AsMemory(first, MessageHeader.Length - first), cancellationToken);
        var header = MessageHeader.Read(buffer);
        check(header);
        if (header.Size > buffer.Length) throw new OpcUaException(StatusCodes.BadTcpMessageTooLarge, $"chunk of {header.Size} bytes");
        await stream.ReadExactlyAsync(buffer.AsMemory(MessageHeader.Length, (int)header.Size - MessageHeader.Length), cancellationToken);
        return header;
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

    private static async Task TrySendErrorAsync(NetworkStream stream, StatusCode status, string reason)
    {
        try
        {
            using var body = new BinaryEncoder();
            new ErrorMessage(status, reason).Encode(body);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await stream.WriteAsync(Frame(MessageType.Error, body.Written), timeout.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer is gone already; the connection closes either way.
        }
    }
}
