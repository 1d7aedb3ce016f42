using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.SecureChannel;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Transport;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Client;

/// <summary>
/// Our client against servers that misbehave during the handshake: one that accepts TCP and never answers, one that
/// stops after the Acknowledge, one that answers OpenSecureChannel with a ServiceFault (as node-opcua does for a
/// client certificate it does not trust); and discovery on a server that offers no None endpoint.
/// </summary>
public sealed class HandshakeTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(2);

    private static readonly OpcUaClientOptions Options = new() { HandshakeTimeout = Deadline, RequestTimeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task A_server_that_never_answers_the_hello_fails_within_the_deadline_naming_the_step()
    {
        await using var peer = new RawPeer(RawPeer.Behaviour.Silent);
        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<OpcUaException>(() => OpcUaClient.ConnectAsync(peer.Url, Options));
        watch.Stop();
        Assert.Equal(StatusCodes.BadTimeout, error.Status.Code);
        Assert.Contains("Hello/Acknowledge", error.Message, StringComparison.Ordinal);
        Assert.InRange(watch.Elapsed, Deadline - TimeSpan.FromMilliseconds(100), Deadline + TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_server_that_stops_after_the_acknowledge_fails_naming_OpenSecureChannel()
    {
        await using var peer = new RawPeer(RawPeer.Behaviour.AcknowledgeThenSilent);
        var error = await Assert.ThrowsAsync<OpcUaException>(() => OpcUaClient.ConnectAsync(peer.Url, Options));
        Assert.Equal(StatusCodes.BadTimeout, error.Status.Code);
        Assert.Contains("OpenSecureChannel", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_request_timeout_inside_the_deadline_also_names_the_step()
    {
        await using var peer = new RawPeer(RawPeer.Behaviour.AcknowledgeThenSilent);
        var error = await Assert.ThrowsAsync<OpcUaException>(() => OpcUaClient.ConnectAsync(peer.Url, Options with { HandshakeTimeout = TimeSpan.FromSeconds(30), RequestTimeout = TimeSpan.FromSeconds(1) }));
        Assert.Equal(StatusCodes.BadTimeout, error.Status.Code);
        Assert.Contains("OpenSecureChannel", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_service_fault_in_answer_to_OpenSecureChannel_is_a_refusal_with_its_status()
    {
        await using var peer = new RawPeer(RawPeer.Behaviour.FaultOpenSecureChannel);
        var error = await Assert.ThrowsAsync<ChannelRefusedException>(() => OpcUaClient.ConnectAsync(peer.Url, Options));
        Assert.Equal(StatusCodes.BadSecurityChecksFailed, error.Status.Code);
    }

    [Fact]
    public async Task A_service_fault_in_an_ERR_chunk_as_node_opcua_sends_it_is_a_refusal_with_its_status()
    {
        await using var peer = new RawPeer(RawPeer.Behaviour.FaultInErrorChunk);
        var error = await Assert.ThrowsAsync<ChannelRefusedException>(() => OpcUaClient.ConnectAsync(peer.Url, Options));
        Assert.Equal(StatusCodes.BadSecurityChecksFailed, error.Status.Code);
    }

    [Fact]
    public async Task A_session_that_is_never_activated_fails_naming_ActivateSession()
    {
        await using var peer = new RawPeer(RawPeer.Behaviour.NoActivation);
        var error = await Assert.ThrowsAsync<OpcUaException>(() => OpcUaClient.ConnectAsync(peer.Url, Options, sessionName: "never"));
        Assert.Equal(StatusCodes.BadTimeout, error.Status.Code);
        Assert.Contains("ActivateSession", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(11 * 60)]
    public async Task A_handshake_timeout_out_of_range_is_refused(int seconds)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => OpcUaClient.ConnectAsync("opc.tcp://127.0.0.1:1/", Options with { HandshakeTimeout = TimeSpan.FromSeconds(seconds) }));
        Assert.Contains("HandshakeTimeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Discovery_works_on_a_server_without_a_None_endpoint_and_only_discovery()
    {
        var directory = Directory.CreateTempSubdirectory("thermalplant-discovery-");
        try
        {
            await using var server = new OpcUaServer(new OpcUaServerOptions
            {
                Address = IPAddress.Loopback,
                Port = 0,
                HostName = "127.0.0.1",
                Security = [new EndpointSecurity(SecurityPolicyUris.Basic256Sha256, MessageSecurityMode.SignAndEncrypt)],
                CertificateStorePath = Path.Combine(directory.FullName, "server"),
            });
            server.Start();
            var url = $"opc.tcp://127.0.0.1:{server.Port}/freeopcua/server/";

            var endpoints = await OpcUaClient.GetEndpointsAsync(url, Options);
            var endpoint = Assert.Single(endpoints);
            Assert.Equal(SecurityPolicyUris.Basic256Sha256, endpoint.SecurityPolicyUri);
            var servers = await OpcUaClient.FindServersAsync(url, Options);
            Assert.Contains(servers, s => s.ApplicationUri == endpoint.Server.ApplicationUri);

            // Selecting None fails as before: the server offers no such endpoint.
            var none = await Assert.ThrowsAsync<OpcUaException>(() => OpcUaClient.ConnectAsync(url, Options));
            Assert.Equal(StatusCodes.BadSecurityPolicyRejected, none.Status.Code);

            // The None channel serves discovery only: a session on it is refused.
            await using var channel = await ClientChannel.OpenAsync(url, Options, null, TimeProvider.System, CancellationToken.None);
            var create = new CreateSessionRequest { SessionName = "discovery", RequestedSessionTimeout = 60_000, ClientNonce = new byte[32], RequestHeader = new RequestHeader { TimeoutHint = 10_000 } };
            var fault = Assert.IsType<ServiceFault>(await channel.SendRequestAsync(create, CancellationToken.None));
            Assert.Equal(StatusCodes.BadSecurityPolicyRejected, fault.ResponseHeader.ServiceResult.Code);
            var read = new ReadRequest { NodesToRead = [new ReadValueId { NodeId = NodeId.Of(VariableIds.Server_ServerStatus_State), AttributeId = (uint)AttributeId.Value }], RequestHeader = new RequestHeader { TimeoutHint = 10_000 } };
            // Any other service too, as the OPC Foundation stack answers, before any session is looked up.
            Assert.Equal(StatusCodes.BadSecurityPolicyRejected, Assert.IsType<ServiceFault>(await channel.SendRequestAsync(read, CancellationToken.None)).ResponseHeader.ServiceResult.Code);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>A UA TCP peer on loopback that plays one misbehaviour with every connection it accepts.</summary>
    private sealed class RawPeer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private readonly Behaviour _behaviour;

        public RawPeer(Behaviour behaviour)
        {
            _behaviour = behaviour;
            _listener.Start();
            _loop = AcceptAsync();
        }

        public enum Behaviour
        {
            Silent,
            AcknowledgeThenSilent,
            FaultOpenSecureChannel,
            FaultInErrorChunk,
            NoActivation,
        }

        public string Url => $"opc.tcp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try
            {
                await _loop;
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            var held = new List<TcpClient>();
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var tcp = await _listener.AcceptTcpClientAsync(_stop.Token);
                    held.Add(tcp);
                    _ = ServeAsync(tcp.GetStream());
                }
            }
            finally
            {
                foreach (var tcp in held) tcp.Dispose();
            }
        }

        private async Task ServeAsync(NetworkStream stream)
        {
            try
            {
                if (_behaviour == Behaviour.Silent) return;
                await ReadFrameAsync(stream);
                using (var ack = new BinaryEncoder())
                {
                    new AcknowledgeMessage(0, TransportLimits.Default).Encode(ack);
                    var frame = new byte[MessageHeader.Length + ack.Length];
                    new MessageHeader(MessageType.Acknowledge, ChunkType.Final, (uint)frame.Length).Write(frame);
                    ack.Written.CopyTo(frame.AsSpan(MessageHeader.Length));
                    await stream.WriteAsync(frame, _stop.Token);
                }
                if (_behaviour == Behaviour.AcknowledgeThenSilent) return;
                var writer = new ChunkWriter(TransportLimits.Default, StatusCodes.BadResponseTooLarge);
                var open = await ReadFrameAsync(stream);
                var requestId = RequestId(open, asymmetric: true);
                if (_behaviour is Behaviour.FaultOpenSecureChannel or Behaviour.FaultInErrorChunk)
                {
                    var fault = new ServiceFault { ResponseHeader = new ResponseHeader { ServiceResult = StatusCodes.BadSecurityChecksFailed } };
                    var frame = Frame(writer, MessageType.OpenSecureChannel, 5, requestId, fault);
                    // node-opcua's way: the same unsecured OPN chunk, with message type ERR.
                    if (_behaviour == Behaviour.FaultInErrorChunk) new MessageHeader(MessageType.Error, ChunkType.Final, (uint)frame.Length).Write(frame);
                    await stream.WriteAsync(frame, _stop.Token);
                    return;
                }
                var opened = new OpenSecureChannelResponse
                {
                    ResponseHeader = new ResponseHeader(),
                    SecurityToken = new ChannelSecurityToken { ChannelId = 7, TokenId = 1, CreatedAt = DateTime.UtcNow, RevisedLifetime = 600_000 },
                    ServerNonce = [],
                };
                await stream.WriteAsync(Frame(writer, MessageType.OpenSecureChannel, 7, requestId, opened), _stop.Token);
                // GetEndpoints, then CreateSession answered; ActivateSession never is.
                var endpoint = new EndpointDescription { EndpointUrl = Url, SecurityMode = MessageSecurityMode.None, SecurityPolicyUri = SecurityPolicyUris.None, UserIdentityTokens = [new UserTokenPolicy { PolicyId = "anonymous", TokenType = UserTokenType.Anonymous }] };
                requestId = RequestId(await ReadFrameAsync(stream), asymmetric: false);
                await stream.WriteAsync(Frame(writer, MessageType.Message, 7, requestId, new GetEndpointsResponse { ResponseHeader = new ResponseHeader(), Endpoints = [endpoint] }), _stop.Token);
                requestId = RequestId(await ReadFrameAsync(stream), asymmetric: false);
                var created = new CreateSessionResponse { ResponseHeader = new ResponseHeader(), SessionId = NodeId.Of(1u, 1), AuthenticationToken = NodeId.Of(2u, 1), RevisedSessionTimeout = 60_000, ServerEndpoints = [endpoint] };
                await stream.WriteAsync(Frame(writer, MessageType.Message, 7, requestId, created), _stop.Token);
                await ReadFrameAsync(stream);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or EndOfStreamException)
            {
                // The client gave up: that is what these tests wait for.
            }
        }

        private async Task<byte[]> ReadFrameAsync(NetworkStream stream)
        {
            var header = new byte[MessageHeader.Length];
            await stream.ReadExactlyAsync(header, _stop.Token);
            var size = MessageHeader.Read(header).Size;
            Assert.InRange(size, (uint)MessageHeader.Length, 1u << 20);
            var frame = new byte[size];
            header.CopyTo(frame, 0);
            await stream.ReadExactlyAsync(frame.AsMemory(MessageHeader.Length), _stop.Token);
            return frame;
        }

        /// <summary>The request id of an unsecured chunk: after the channel id and the security header comes the sequence header.</summary>
        private static uint RequestId(byte[] frame, bool asymmetric)
        {
            var decoder = new BinaryDecoder(frame.AsSpan(MessageHeader.Length));
            decoder.ReadUInt32();
            if (asymmetric) AsymmetricSecurityHeader.Read(ref decoder);
            else decoder.ReadUInt32();
            decoder.ReadUInt32();
            return decoder.ReadUInt32();
        }

        private static byte[] Frame(ChunkWriter writer, MessageType type, uint channelId, uint requestId, IEncodeable message)
        {
            using var security = new BinaryEncoder();
            if (type == MessageType.OpenSecureChannel)
            {
                new AsymmetricSecurityHeader(SecurityPolicyUris.None, null, null).Write(security);
            }
            else
            {
                security.WriteUInt32(1);
            }
            using var body = new BinaryEncoder();
            MessageBody.Write(body, message);
            return writer.Frame(type, channelId, security.Written, requestId, body.Written, ChunkSecurity.None);
        }
    }
}
