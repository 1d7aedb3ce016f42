using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.SecureChannel;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Transport;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Security;

/// <summary>Our client against our server over loopback with every policy and mode, certificates in temporary stores.</summary>
public sealed class SecureConnectionTests : IAsyncLifetime
{
    private static readonly EndpointSecurity[] Secured =
    [
        new(SecurityPolicyUris.Basic256Sha256, MessageSecurityMode.Sign),
        new(SecurityPolicyUris.Basic256Sha256, MessageSecurityMode.SignAndEncrypt),
        new(SecurityPolicyUris.Aes128Sha256RsaOaep, MessageSecurityMode.Sign),
        new(SecurityPolicyUris.Aes128Sha256RsaOaep, MessageSecurityMode.SignAndEncrypt),
        new(SecurityPolicyUris.Aes256Sha256RsaPss, MessageSecurityMode.Sign),
        new(SecurityPolicyUris.Aes256Sha256RsaPss, MessageSecurityMode.SignAndEncrypt),
    ];

    private readonly string _directory = Directory.CreateTempSubdirectory("thermalplant-security-").FullName;
    private OpcUaServer _server = null!;
    private CertificateStore _serverStore = null!;
    private CertificateStore _clientStore = null!;

    public static TheoryData<string, MessageSecurityMode> PoliciesAndModes
    {
        get
        {
            var data = new TheoryData<string, MessageSecurityMode>();
            foreach (var endpoint in Secured) data.Add(endpoint.PolicyUri, endpoint.Mode);
            return data;
        }
    }

    private string Url => $"opc.tcp://127.0.0.1:{_server.Port}/freeopcua/server/";

    public Task InitializeAsync()
    {
        _serverStore = new CertificateStore(Path.Combine(_directory, "server"));
        _clientStore = new CertificateStore(Path.Combine(_directory, "client"));
        _server = new OpcUaServer(new OpcUaServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            HostName = "127.0.0.1",
            Security = Secured,
            CertificateStorePath = _serverStore.Path,
        });
        _server.Start();
        // Each side trusts the other: the server's certificate was created in its store on start.
        _clientStore.AddTrusted(_server.Certificate!);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void The_server_creates_its_certificate_in_its_store_and_offers_only_the_configured_endpoints()
    {
        var certificate = _server.Certificate!;
        Assert.True(certificate.HasPrivateKey);
        Assert.Contains("urn:thermalplant:opcserver", ApplicationCertificates.Uris(certificate));
        // The names a client may connect by, so that its host name check passes (Part 4, 6.1.3).
        Assert.Contains("localhost", ApplicationCertificates.DnsNames(certificate));
        Assert.Contains(Dns.GetHostName(), ApplicationCertificates.DnsNames(certificate));
        Assert.Contains(IPAddress.Loopback, ApplicationCertificates.IpAddresses(certificate));
        Assert.Contains(IPAddress.IPv6Loopback, ApplicationCertificates.IpAddresses(certificate));
        Assert.Single(Directory.GetFiles(_serverStore.OwnCerts));
        Assert.Single(Directory.GetFiles(_serverStore.OwnPrivate));
    }

    [Theory]
    [MemberData(nameof(PoliciesAndModes))]
    public async Task Client_reads_over_each_policy_and_mode(string policy, MessageSecurityMode mode)
    {
        await using var client = await Connect(policy, mode);
        Assert.Equal(policy, client.Endpoint.SecurityPolicyUri);
        Assert.Equal(mode, client.Endpoint.SecurityMode);
        await client.OpenSessionAsync("secured");
        var state = await client.ReadValueAsync(NodeId.Of(VariableIds.Server_ServerStatus_State));
        Assert.True(state.Status.IsGood);
        // A response of many chunks: the whole endpoint list, larger than one chunk of an 8 KiB buffer.
        var endpoints = await client.GetEndpointsAsync();
        Assert.Equal(Secured.Length, endpoints.Length);
        Assert.All(endpoints, e => Assert.Equal(_server.Certificate!.RawData, e.ServerCertificate));
        Assert.Equal(endpoints.Max(e => e.SecurityLevel), endpoints.Single(e => e.SecurityPolicyUri == SecurityPolicyUris.Aes256Sha256RsaPss && e.SecurityMode == MessageSecurityMode.SignAndEncrypt).SecurityLevel);
    }

    [Fact]
    public async Task Tokens_are_renewed_before_they_expire_and_requests_go_on_across_renewals()
    {
        await using var server = new OpcUaServer(new OpcUaServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            HostName = "127.0.0.1",
            Security = [new(SecurityPolicyUris.Aes256Sha256RsaPss, MessageSecurityMode.SignAndEncrypt)],
            ApplicationCertificate = _server.Certificate,
            CertificateStorePath = _serverStore.Path,
            SecureChannel = new SecureChannelOptions { MinTokenLifetime = TimeSpan.FromSeconds(4) },
        });
        server.Start();
        TrustClient();
        // 4 s tokens: a renewal starts 3 s into one and has until 5 s (the server's grace of a quarter), 2 s for a late
        // timer and an asymmetric handshake on a loaded machine; with 1 s tokens a slow one missed the window, and 2 s
        // left only 1 s while the box ran at a load of 20.
        var options = ClientOptions(SecurityPolicyUris.Aes256Sha256RsaPss, MessageSecurityMode.SignAndEncrypt) with { TokenLifetime = TimeSpan.FromSeconds(4) };
        await using var client = await OpcUaClient.ConnectAsync($"opc.tcp://127.0.0.1:{server.Port}/freeopcua/server/", options);
        await client.OpenSessionAsync("renewing");
        var lost = 0;
        client.ConnectionLost += _ => Interlocked.Increment(ref lost);
        // Two and a half lifetimes pass (three renewals): without renewals the server would refuse the token.
        var until = DateTime.UtcNow.AddSeconds(10);
        var reads = 0;
        while (DateTime.UtcNow < until)
        {
            Assert.True((await client.ReadValueAsync(NodeId.Of(VariableIds.Server_ServerStatus_State))).Status.IsGood);
            reads++;
            await Task.Delay(50);
        }
        Assert.Equal(0, lost);
        Assert.True(reads > 5);
    }

    [Fact]
    public async Task An_untrusted_client_is_refused_and_kept_in_rejected_until_an_administrator_trusts_it()
    {
        var options = ClientOptions(SecurityPolicyUris.Basic256Sha256, MessageSecurityMode.SignAndEncrypt);
        var refused = await Assert.ThrowsAsync<ChannelRefusedException>(() => OpcUaClient.ConnectAsync(Url, options));
        Assert.Equal(StatusCodes.BadCertificateUntrusted, refused.Status.Code);
        var rejected = Assert.Single(Directory.GetFiles(_serverStore.RejectedCerts));

        Assert.NotNull(CertificateStore.Move(_serverStore.RejectedCerts, _serverStore.TrustedCerts, X509CertificateLoaderThumbprint(rejected)));
        await using var client = await OpcUaClient.ConnectAsync(Url, options);
        await client.OpenSessionAsync("trusted now");
        Assert.Empty(Directory.GetFiles(_serverStore.RejectedCerts));
    }

    [Fact]
    public async Task A_client_that_does_not_trust_the_server_does_not_connect()
    {
        TrustClient();
        var stranger = new CertificateStore(Path.Combine(_directory, "stranger"));
        var options = ClientOptions(SecurityPolicyUris.Basic256Sha256, MessageSecurityMode.Sign) with { CertificateStorePath = stranger.Path };
        var refused = await Assert.ThrowsAsync<UntrustedCertificateException>(() => OpcUaClient.ConnectAsync(Url, options));
        Assert.Equal(StatusCodes.BadCertificateUntrusted, refused.Status.Code);
        Assert.Equal(stranger.Path, refused.StorePath);
        Assert.Equal(X509CertificateLoaderThumbprint(Assert.Single(Directory.GetFiles(stranger.RejectedCerts))), refused.Thumbprint);
    }

    [Fact]
    public async Task A_server_certificate_without_the_host_connected_to_is_refused_unless_the_check_is_turned_off()
    {
        using var elsewhere = ApplicationCertificates.Create("urn:thermalplant:opcserver", "Elsewhere", ["plant-host"], TimeProvider.System, TimeSpan.FromDays(30));
        await using var server = new OpcUaServer(new OpcUaServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            HostName = "127.0.0.1",
            Security = [new(SecurityPolicyUris.Basic256Sha256, MessageSecurityMode.SignAndEncrypt)],
            ApplicationCertificate = elsewhere,
            CertificateStorePath = _serverStore.Path,
        });
        server.Start();
        TrustClient();
        _clientStore.AddTrusted(elsewhere);
        var url = $"opc.tcp://127.0.0.1:{server.Port}/freeopcua/server/";
        var options = ClientOptions(SecurityPolicyUris.Basic256Sha256, MessageSecurityMode.SignAndEncrypt);

        var refused = await Assert.ThrowsAsync<OpcUaException>(() => OpcUaClient.ConnectAsync(url, options));
        Assert.Equal(StatusCodes.BadCertificateHostNameInvalid, refused.Status.Code);
        await using var client = await OpcUaClient.ConnectAsync(url, options with { CheckServerHostName = false });
        await client.OpenSessionAsync("host name not checked");
    }

    [Fact]
    public async Task The_server_refuses_a_trusted_client_certificate_made_for_servers_only_with_bad_certificate_use_not_allowed()
    {
        var now = DateTimeOffset.UtcNow;
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Server Only", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(new Uri("urn:thermalplant:client"));
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var created = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        using var serverOnly = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
        _serverStore.AddTrusted(serverOnly);

        var options = ClientOptions(SecurityPolicyUris.Basic256Sha256, MessageSecurityMode.SignAndEncrypt) with { ApplicationCertificate = serverOnly };
        var refused = await Assert.ThrowsAsync<ChannelRefusedException>(() => OpcUaClient.ConnectAsync(Url, options));
        Assert.Equal(StatusCodes.BadCertificateUseNotAllowed, refused.Status.Code);
    }

    [Fact]
    public async Task Policy_none_is_discovery_only_when_not_offered()
    {
        var refused = await Assert.ThrowsAsync<OpcUaException>(() => OpcUaClient.ConnectAsync(Url));
        Assert.Equal(StatusCodes.BadSecurityPolicyRejected, refused.Status.Code);
    }

    [Theory]
    [InlineData(MessageSecurityMode.Sign)]
    [InlineData(MessageSecurityMode.SignAndEncrypt)]
    public async Task A_flipped_bit_in_a_signed_message_closes_the_channel_with_bad_security_checks_failed(MessageSecurityMode mode)
    {
        TrustClient();
        var policy = RsaAesSecurityPolicy.Basic256Sha256;
        var clientCertificate = _clientStore.LoadOrCreateApplicationCertificate("urn:thermalplant:client", "Thermal Plant OPC UA Client", ["localhost"], TimeProvider.System, TimeSpan.FromDays(30));
        using var clientKey = clientCertificate.GetRSAPrivateKey()!;
        using var serverKey = _server.Certificate!.GetRSAPublicKey()!;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _server.Port);
        var stream = tcp.GetStream();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        // Hello, then a secured OpenSecureChannel built from the library's public parts, as another stack would.
        using (var hello = new BinaryEncoder())
        {
            new HelloMessage(0, TransportLimits.Default, Url).Encode(hello);
            await stream.WriteAsync(Frame(MessageType.Hello, hello.Written), deadline.Token);
        }
        Assert.Equal(MessageType.Acknowledge, (await ReadChunk(stream, deadline.Token)).Header.Type);
        var writer = new ChunkWriter(TransportLimits.Default, StatusCodes.BadRequestTooLarge);
        var asymmetric = new AsymmetricChunkSecurity(policy, clientKey, serverKey);
        using var asymmetricHeader = new BinaryEncoder();
        new AsymmetricSecurityHeader(policy.Uri, clientCertificate.RawData, ApplicationCertificates.Thumbprint(_server.Certificate!)).Write(asymmetricHeader);
        var clientNonce = RandomNumberGenerator.GetBytes(32);
        using (var open = new BinaryEncoder())
        {
            MessageBody.Write(open, new OpenSecureChannelRequest { RequestType = SecurityTokenRequestType.Issue, SecurityMode = mode, ClientNonce = clientNonce, RequestedLifetime = 600_000 });
            await stream.WriteAsync(writer.Frame(MessageType.OpenSecureChannel, 0, asymmetricHeader.Written, 1, open.Written, asymmetric), deadline.Token);
        }
        var (openHeader, openChunk) = await ReadChunk(stream, deadline.Token);
        Assert.Equal(MessageType.OpenSecureChannel, openHeader.Type);
        var decoder = new BinaryDecoder(openChunk.AsSpan(MessageHeader.Length));
        var channelId = decoder.ReadUInt32();
        AsymmetricSecurityHeader.Read(ref decoder);
        var headerLength = MessageHeader.Length + decoder.Position;
        var plain = new AsymmetricChunkSecurity(policy, clientKey, serverKey).Unprotect(openChunk, headerLength);
        var opened = Assert.IsType<OpenSecureChannelResponse>(MessageBody.Read(openChunk.AsSpan(headerLength + SequenceHeader.Length, plain - SequenceHeader.Length)));
        var send = new SymmetricChunkSecurity(policy.DeriveKeys(opened.ServerNonce, clientNonce), mode == MessageSecurityMode.SignAndEncrypt);
        var receive = new SymmetricChunkSecurity(policy.DeriveKeys(clientNonce, opened.ServerNonce), mode == MessageSecurityMode.SignAndEncrypt);
        var token = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(token, opened.SecurityToken.TokenId);

        using var request = new BinaryEncoder();
        MessageBody.Write(request, new GetEndpointsRequest { RequestHeader = new RequestHeader { RequestHandle = 7 }, EndpointUrl = Url });
        // Untouched, the request is answered under the token's keys.
        await stream.WriteAsync(writer.Frame(MessageType.Message, channelId, token, 2, request.Written, send), deadline.Token);
        var (answerHeader, answer) = await ReadChunk(stream, deadline.Token);
        Assert.Equal(MessageType.Message, answerHeader.Type);
        var length = receive.Unprotect(answer, MessageHeader.Length + 8);
        Assert.IsType<GetEndpointsResponse>(MessageBody.Read(answer.AsSpan(MessageHeader.Length + 8 + SequenceHeader.Length, length - SequenceHeader.Length)));

        // One bit flipped in the body: an Error with BadSecurityChecksFailed, and the connection closes.
        var tampered = writer.Frame(MessageType.Message, channelId, token, 3, request.Written, send);
        tampered[tampered.Length / 2] ^= 0x01;
        await stream.WriteAsync(tampered, deadline.Token);
        var (errorHeader, error) = await ReadChunk(stream, deadline.Token);
        Assert.Equal(MessageType.Error, errorHeader.Type);
        Assert.Equal(StatusCodes.BadSecurityChecksFailed, ErrorMessage.Decode(error.AsSpan(MessageHeader.Length)).Status.Code);
        Assert.Equal(0, await stream.ReadAsync(new byte[1], deadline.Token));
    }

    private void TrustClient()
    {
        var certificate = _clientStore.LoadOrCreateApplicationCertificate("urn:thermalplant:client", "Thermal Plant OPC UA Client", ["localhost"], TimeProvider.System, TimeSpan.FromDays(30));
        _serverStore.AddTrusted(certificate);
    }

    private async Task<OpcUaClient> Connect(string policy, MessageSecurityMode mode)
    {
        TrustClient();
        return await OpcUaClient.ConnectAsync(Url, ClientOptions(policy, mode));
    }

    private OpcUaClientOptions ClientOptions(string policy, MessageSecurityMode mode) => new()
    {
        SecurityPolicyUri = policy,
        SecurityMode = mode,
        CertificateStorePath = _clientStore.Path,
        Transport = new TransportLimits { ReceiveBufferSize = 8192, SendBufferSize = 8192 },
    };

    private static string X509CertificateLoaderThumbprint(string file) =>
        X509CertificateLoader.LoadCertificateFromFile(file).Thumbprint;

    private static byte[] Frame(MessageType type, ReadOnlySpan<byte> body)
    {
        var frame = new byte[MessageHeader.Length + body.Length];
        new MessageHeader(type, ChunkType.Final, (uint)frame.Length).Write(frame);
        body.CopyTo(frame.AsSpan(MessageHeader.Length));
        return frame;
    }

    private static async Task<(MessageHeader Header, byte[] Chunk)> ReadChunk(NetworkStream stream, CancellationToken cancellationToken)
    {
        var header = new byte[MessageHeader.Length];
        await stream.ReadExactlyAsync(header, cancellationToken);
        var parsed = MessageHeader.Read(header);
        var chunk = new byte[parsed.Size];
        header.CopyTo(chunk, 0);
        await stream.ReadExactlyAsync(chunk.AsMemory(MessageHeader.Length), cancellationToken);
        return (parsed, chunk);
    }
}
