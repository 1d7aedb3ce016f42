using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Messages;
using ThermalPlant.OpcUa.SecureChannel;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.OpcUa.Transport;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Client;

/// <summary>
/// One UA TCP connection with one secure channel: Hello and Acknowledge, OpenSecureChannel (signed and encrypted with
/// the certificates' keys unless the policy is None) with token renewal at 75 % of its lifetime, chunks secured with
/// each token's keys, the old token's still accepted until the server uses the new one, requests in flight
/// concurrently, matched to responses by request id.
/// It reports its loss once through <see cref="Lost"/>; reconnecting is the <see cref="OpcUaClient"/>'s job.
/// </summary>
internal sealed class ClientChannel : IAsyncDisposable
{
    private readonly OpcUaClientOptions _options;
    private readonly SecurityPolicy _policy;
    private readonly MessageSecurityMode _mode;
    private readonly byte[] _asymmetricHeader;
    private readonly ChunkSecurity _asymmetric;
    private readonly RSA? _clientKey;
    private readonly RSA? _serverKey;
    private readonly SequenceNumberCheck _received = new();
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
    private volatile Token? _current;
    private Token? _previous;
    private int _requestId;
    private uint _requestHandle;
    private int _lost;

    private ClientChannel(string endpointUrl, OpcUaClientOptions options, ChannelCredentials? credentials, TimeProvider time, TcpClient tcp)
    {
        EndpointUrl = endpointUrl;
        _options = options;
        _time = time;
        _tcp = tcp;
        _stream = tcp.GetStream();
        _policy = credentials?.Policy ?? SecurityPolicies.None;
        _mode = credentials?.Mode ?? MessageSecurityMode.None;
        _clientKey = credentials?.ClientCertificate.GetRSAPrivateKey();
        _serverKey = credentials?.ServerCertificate.GetRSAPublicKey();
        _asymmetric = _clientKey is null || _serverKey is null ? ChunkSecurity.None : new AsymmetricChunkSecurity(_policy, _clientKey, _serverKey);
        using var header = new BinaryEncoder();
        new AsymmetricSecurityHeader(_policy.Uri, credentials?.ClientCertificate.RawData, credentials is null ? null : ApplicationCertificates.Thumbprint(credentials.ServerCertificate)).Write(header);
        _asymmetricHeader = header.Written.ToArray();
    }

    /// <summary>The endpoint URL sent in the Hello.</summary>
    public string EndpointUrl { get; }

    /// <summary>Raised once when the connection ends for any reason other than <see cref="DisposeAsync"/>.</summary>
    public event Action<ClientChannel, Exception>? Lost;

    /// <summary>Connects as <see cref="OpenAsync(string, OpcUaClientOptions, ChannelCredentials?, TimeProvider, HandshakeDeadline)"/>, within the options' HandshakeTimeout.</summary>
    public static async Task<ClientChannel> OpenAsync(string endpointUrl, OpcUaClientOptions options, ChannelCredentials? credentials, TimeProvider time, CancellationToken cancellationToken)
    {
        using var deadline = new HandshakeDeadline(endpointUrl, options.HandshakeTimeout, time, cancellationToken);
        return await OpenAsync(endpointUrl, options, credentials, time, deadline);
    }

    /// <summary>
    /// Connects: TCP, Hello and Acknowledge, then OpenSecureChannel secured with <paramref name="credentials"/>, or with
    /// SecurityPolicy None when they are null; every step within <paramref name="deadline"/>, which names the step it
    /// cut short. A server that refuses the secure channel (an ERR or a ServiceFault in answer to OpenSecureChannel) is a
    /// <see cref="ChannelRefusedException"/>.
    /// </summary>
    public static async Task<ClientChannel> OpenAsync(string endpointUrl, OpcUaClientOptions options, ChannelCredentials? credentials, TimeProvider time, HandshakeDeadline deadline)
    {
        var url = new Uri(endpointUrl);
        if (url.Scheme != "opc.tcp") throw new OpcUaException(StatusCodes.BadTcpEndpointUrlInvalid, $"{endpointUrl} is not an opc.tcp URL");
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await deadline.RunAsync("TCP connect", async token =>
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                timeout.CancelAfter(options.RequestTimeout);
                try
                {
                    await tcp.ConnectAsync(url.Host, url.IsDefaultPort || url.Port < 0 ? 4840 : url.Port, timeout.Token);
                }
                catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !token.IsCancellationRequested))
                {
                    throw new OpcUaException(StatusCodes.BadCommunicationError, $"cannot connect to {endpointUrl}: {ex.Message}");
                }
            });
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
        var channel = new ClientChannel(endpointUrl, options, credentials, time, tcp);
        try
        {
            await deadline.RunAsync("Hello/Acknowledge", channel.HelloAsync);
            await deadline.RunAsync("OpenSecureChannel", token => channel.OpenChannelAsync(SecurityTokenRequestType.Issue, token));
            return channel;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            await channel.DisposeAsync();
            throw new OpcUaException(StatusCodes.BadCommunicationError, $"the connection to {endpointUrl} closed during the handshake: {ex.Message}");
        }
        catch
        {
            await channel.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Sends a service request (its header already set) and waits for its response, at most <paramref name="timeout"/>
    /// (the request timeout when null).
    /// </summary>
    public Task<IEncodeable> SendRequestAsync(IEncodeable request, CancellationToken cancellationToken, TimeSpan? timeout = null) =>
        SendAsync(MessageType.Message, request, cancellationToken, timeout);

    /// <summary>Sends CloseSecureChannel, then closes the connection.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        try
        {
            await SendFrameAsync(MessageType.CloseSecureChannel, NextRequestId(), new CloseSecureChannelRequest { RequestHeader = new RequestHeader { Timestamp = _time.GetUtcNow().UtcDateTime } }, cancellationToken);
        }
        finally
        {
            await DisposeAsync();
        }
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
        FailPending(new OpcUaException(StatusCodes.BadConnectionClosed, "the channel was closed"));
        _assembler?.Dispose();
        _clientKey?.Dispose();
        _serverKey?.Dispose();
        _sendLock.Dispose();
    }

    private async Task HelloAsync(CancellationToken cancellationToken)
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
        if (header.Type == MessageType.Error) throw Refused(body.AsSpan(MessageHeader.Length), opening: false);
        if (header.Type != MessageType.Acknowledge) throw new OpcUaException(StatusCodes.BadTcpMessageTypeInvalid, $"expected Acknowledge, got {header.Type}");
        var ack = AcknowledgeMessage.Decode(body.AsSpan(MessageHeader.Length));
        // We send chunks no larger than the server receives, and receive what the server sends.
        _writer = new ChunkWriter(new TransportLimits { ReceiveBufferSize = ack.Limits.ReceiveBufferSize, MaxMessageSize = ack.Limits.MaxMessageSize, MaxChunkCount = ack.Limits.MaxChunkCount }, StatusCodes.BadRequestTooLarge);
        _assembler = new ChunkAssembler(new TransportLimits { ReceiveBufferSize = Math.Max(ack.Limits.SendBufferSize, _options.Transport.ReceiveBufferSize), MaxMessageSize = _options.Transport.MaxMessageSize, MaxChunkCount = _options.Transport.MaxChunkCount });
        _receiveLoop = ReceiveAsync(_closing.Token);
    }

    private async Task OpenChannelAsync(SecurityTokenRequestType type, CancellationToken cancellationToken)
    {
        var clientNonce = RandomNumberGenerator.GetBytes(_policy.NonceLength);
        var request = new OpenSecureChannelRequest
        {
            RequestHeader = new RequestHeader { Timestamp = _time.GetUtcNow().UtcDateTime, RequestHandle = Interlocked.Increment(ref _requestHandle) },
            RequestType = type,
            SecurityMode = _mode,
            ClientNonce = clientNonce,
            RequestedLifetime = (uint)_options.TokenLifetime.TotalMilliseconds,
        };
        var response = await SendAsync(MessageType.OpenSecureChannel, request, cancellationToken) switch
        {
            OpenSecureChannelResponse { ResponseHeader.ServiceResult.IsBad: false } opened => opened,
            // node-opcua answers a client certificate it does not trust with a ServiceFault (BadSecurityChecksFailed).
            IServiceResponse { ResponseHeader.ServiceResult.IsBad: true } fault => throw new ChannelRefusedException(fault.ResponseHeader.ServiceResult, $"the server refused the secure channel ({fault.GetType().Name})"),
            var other => throw new OpcUaException(StatusCodes.BadUnknownResponse, $"expected OpenSecureChannelResponse, got {other.GetType().Name}"),
        };
        var serverNonce = response.ServerNonce ?? [];
        if (!_policy.IsNone && serverNonce.Length != _policy.NonceLength)
        {
            throw new OpcUaException(StatusCodes.BadNonceInvalid, $"the server nonce has {serverNonce.Length} bytes; {_policy.Uri} needs {_policy.NonceLength}");
        }
        _channelId = response.SecurityToken.ChannelId;
        // Our keys: secret the server's nonce, seed ours; the server's the other way round (Part 6, 6.7.5).
        var token = _mode == MessageSecurityMode.None
            ? new Token(response.SecurityToken.TokenId, ChunkSecurity.None, ChunkSecurity.None)
            : new Token(
                response.SecurityToken.TokenId,
                new SymmetricChunkSecurity(_policy.DeriveKeys(serverNonce, clientNonce), _mode == MessageSecurityMode.SignAndEncrypt),
                new SymmetricChunkSecurity(_policy.DeriveKeys(clientNonce, serverNonce), _mode == MessageSecurityMode.SignAndEncrypt));
        // The server may still answer under the old token until it sees the new one, so its keys are kept.
        _previous = _current;
        _current = token;
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
            OnLost(ex);
        }
    }

    private async Task<IEncodeable> SendAsync(MessageType type, IEncodeable request, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var requestId = NextRequestId();
        var completion = new TaskCompletionSource<IEncodeable>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[requestId] = completion;
        try
        {
            await SendFrameAsync(type, requestId, request, cancellationToken);
            var wait = timeout ?? _options.RequestTimeout;
            using var expiry = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            expiry.CancelAfter(wait);
            try
            {
                return await completion.Task.WaitAsync(expiry.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new OpcUaException(StatusCodes.BadTimeout, $"no response within {wait.TotalSeconds} s");
            }
        }
        finally
        {
            _pending.TryRemove(requestId, out _);
        }
    }

    private byte[] Frame(MessageType type, uint requestId, ReadOnlySpan<byte> body)
    {
        if (type == MessageType.OpenSecureChannel) return _writer.Frame(type, _channelId, _asymmetricHeader, requestId, body, _asymmetric);
        var token = _current ?? throw new OpcUaException(StatusCodes.BadSecureChannelClosed, "the secure channel is not open");
        Span<byte> tokenId = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(tokenId, token.TokenId);
        return _writer.Frame(type, _channelId, tokenId, requestId, body, token.Send);
    }

    /// <summary>Encodes, frames and writes a message; framing numbers the chunks, so it happens under the send lock.</summary>
    private async Task SendFrameAsync(MessageType type, uint requestId, IEncodeable message, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            byte[] frame;
            using (var body = new BinaryEncoder())
            {
                MessageBody.Write(body, message);
                frame = Frame(type, requestId, body.Written);
            }
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
                var (header, chunk) = await ReadChunkAsync(_assembler.CheckHeader, cancellationToken);
                if (header.Type == MessageType.Error) throw Refused(chunk.AsSpan(MessageHeader.Length), opening: _current is null);
                var plain = Unprotect(header.Type, chunk);
                var decoder = new BinaryDecoder(plain);
                var sequence = SequenceHeader.Read(ref decoder);
                _received.Accept(sequence.SequenceNumber);
                var message = _assembler.Add(header.Chunk, plain[SequenceHeader.Length..]);
                if (message.IsEmpty) continue;
                var response = MessageBody.Read(message);
                if (_pending.TryGetValue(sequence.RequestId, out var completion)) completion.TrySetResult(response);
            }
        }
        catch (Exception ex) when (ex is OpcUaException or IOException or SocketException or EndOfStreamException or ObjectDisposedException)
        {
            OnLost(ex);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Checks the security header of a received chunk (whole, message header included), then verifies and decrypts it
    /// with the asymmetric keys (OPN) or those of the token it names. Returns the sequence header and the body.
    /// </summary>
    private Span<byte> Unprotect(MessageType type, byte[] chunk)
    {
        var decoder = new BinaryDecoder(chunk.AsSpan(MessageHeader.Length));
        var channelId = decoder.ReadUInt32();
        ChunkSecurity security;
        if (type == MessageType.OpenSecureChannel)
        {
            var header = AsymmetricSecurityHeader.Read(ref decoder);
            if (header.SecurityPolicyUri != _policy.Uri) throw new OpcUaException(StatusCodes.BadSecurityPolicyRejected, $"the server answered with {header.SecurityPolicyUri}");
            security = _asymmetric;
        }
        else
        {
            if (channelId != _channelId) throw new OpcUaException(StatusCodes.BadSecureChannelIdInvalid, $"channel {channelId} on channel {_channelId}");
            var tokenId = decoder.ReadUInt32();
            security = _current is { } current && current.TokenId == tokenId ? current.Receive
                : _previous is { } previous && previous.TokenId == tokenId ? previous.Receive
                : throw new OpcUaException(StatusCodes.BadSecureChannelTokenUnknown, $"token {tokenId} is unknown");
        }
        var headerLength = MessageHeader.Length + decoder.Position;
        var plain = chunk.AsSpan(headerLength, security.Unprotect(chunk, headerLength));
        if (plain.Length < SequenceHeader.Length) throw new OpcUaException(StatusCodes.BadTcpMessageTypeInvalid, "a chunk without its sequence header");
        return plain;
    }

    /// <summary>Reads one whole chunk; <paramref name="check"/> vets its header before the rest is allocated.</summary>
    private async Task<(MessageHeader Header, byte[] Chunk)> ReadChunkAsync(Action<MessageHeader> check, CancellationToken cancellationToken)
    {
        var headerBytes = new byte[MessageHeader.Length];
        await _stream.ReadExactlyAsync(headerBytes, cancellationToken);
        var header = MessageHeader.Read(headerBytes);
        check(header);
        var chunk = new byte[header.Size];
        headerBytes.CopyTo(chunk, 0);
        await _stream.ReadExactlyAsync(chunk.AsMemory(MessageHeader.Length), cancellationToken);
        return (header, chunk);
    }

    private void OnLost(Exception error)
    {
        FailPending(error is OpcUaException ? error : new OpcUaException(StatusCodes.BadConnectionClosed, error.Message));
        if (!_closing.IsCancellationRequested && Interlocked.Exchange(ref _lost, 1) == 0) Lost?.Invoke(this, error);
    }

    private void FailPending(Exception error)
    {
        foreach (var (_, completion) in _pending) completion.TrySetException(error);
    }

    private uint NextRequestId() => (uint)Interlocked.Increment(ref _requestId);

    /// <summary>The server's ERR; when <paramref name="opening"/> (before the first token) it answers our OpenSecureChannel.</summary>
    private static OpcUaException Refused(ReadOnlySpan<byte> body, bool opening)
    {
        // node-opcua refuses an OpenSecureChannel (e.g. our certificate is not trusted) with an ERR chunk laid out as an
        // unsecured OPN chunk carrying a ServiceFault, not as Part 6's error message, whose first field is a Bad status.
        if (opening && body.Length >= 4 && (BinaryPrimitives.ReadUInt32LittleEndian(body) & 0x80000000) == 0 && FaultIn(body) is { } fault)
        {
            return new ChannelRefusedException(fault.ResponseHeader.ServiceResult, "the server refused the secure channel (a ServiceFault in an ERR chunk)");
        }
        var error = ErrorMessage.Decode(body);
        var reason = error.Reason ?? "the server closed the connection";
        return opening ? new ChannelRefusedException(error.Status, reason) : new OpcUaException(error.Status, reason);
    }

    /// <summary>The Bad ServiceFault in an ERR chunk framed as an unsecured OPN chunk; null when it is not one.</summary>
    private static IServiceResponse? FaultIn(ReadOnlySpan<byte> body)
    {
        try
        {
            var decoder = new BinaryDecoder(body);
            decoder.ReadUInt32();
            AsymmetricSecurityHeader.Read(ref decoder);
            decoder.ReadUInt32();
            decoder.ReadUInt32();
            return MessageBody.Read(body[decoder.Position..]) is IServiceResponse { ResponseHeader.ServiceResult.IsBad: true } fault ? fault : null;
        }
        catch (OpcUaException)
        {
            return null;
        }
    }

    /// <summary>A security token with the keys we send with and the keys the server sends with.</summary>
    private sealed record Token(uint TokenId, ChunkSecurity Send, ChunkSecurity Receive);
}
