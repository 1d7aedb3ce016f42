using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Transport;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Server;

/// <summary>
/// The server's connection limits through real sockets: handshake deadlines, a cap per peer address, and a full server
/// that answers BadTcpServerTooBusy and gives up the oldest connection without an activated session.
/// </summary>
public sealed class ConnectionLimitTests
{
    // Another loopback address for the attacker's sockets, so that the per-address cap tells them from the client.
    private static readonly IPAddress Attacker = IPAddress.Parse("127.0.0.2");

    [Fact]
    public async Task A_client_gets_its_session_while_500_silent_sockets_from_another_address_are_open()
    {
        var refusals = new List<ConnectionRefused>();
        await using var server = Start(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1" }, refusals);
        var silent = new List<Socket>();
        try
        {
            for (var i = 0; i < 500; i++) silent.Add(await ConnectAsync(server.Port, Attacker, sendHello: true));

            var waited = Stopwatch.StartNew();
            await using (var client = await OpcUaClient.ConnectAsync(Url(server)))
            {
                await client.OpenSessionAsync("legitimate");
                Assert.True((await client.ReadValueAsync(NodeId.Of(VariableIds.Server_ServerStatus_State))).Status.IsGood);
            }
            // Before the limits it was refused outright; a generous bound for a loaded machine (it takes some 50 ms).
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), $"the client waited {waited.Elapsed}");

            // The address's share was taken; every later socket from it was told why before it was closed.
            Assert.Equal(StatusCodes.BadTcpServerTooBusy, (await ReadErrorAsync(silent[^1])).Status.Code);
            Assert.True(server.Refusals(ConnectionRefusal.AddressLimit) >= 480, $"{server.Refusals(ConnectionRefusal.AddressLimit)} refused by address");
            lock (refusals) Assert.Contains(refusals, r => r.Kind == ConnectionRefusal.AddressLimit && ((IPEndPoint)r.Peer!).Address.Equals(Attacker));
        }
        finally
        {
            foreach (var socket in silent) socket.Dispose();
        }
    }

    [Fact]
    public async Task Silent_sockets_are_closed_at_each_handshake_deadline()
    {
        // The deadlines run in virtual time: a loaded machine cannot make them late, and the check of the exact moment
        // needs no bound on real time (it failed at 3 s of real time under load).
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var refusals = new List<ConnectionRefused>();
        var options = new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1", HandshakeStepTimeout = TimeSpan.FromSeconds(1), SessionActivationTimeout = TimeSpan.FromSeconds(3) };
        await using var server = Start(options, refusals, time);

        // No Hello at all, and a Hello answered by Acknowledge with no OpenSecureChannel after it. The mute socket was
        // accepted before the other, so both are held once the Acknowledge is read.
        using var mute = await ConnectAsync(server.Port, IPAddress.Loopback, sendHello: false);
        using var helloOnly = await ConnectAsync(server.Port, IPAddress.Loopback, sendHello: true);
        Assert.Equal(MessageType.Acknowledge, (await ReadFrameAsync(helloOnly)).Type);
        Assert.Equal(2, server.ConnectionCount);

        // At the deadline itself both are still held; the first check after it (every 250 ms) closes both.
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, server.Refusals(ConnectionRefusal.HandshakeTimeout));
        Assert.Equal(2, server.ConnectionCount);
        time.Advance(TimeSpan.FromMilliseconds(250));
        Assert.Equal(2, server.Refusals(ConnectionRefusal.HandshakeTimeout));
        Assert.Equal(0, server.ConnectionCount);

        var muteError = await ReadErrorAsync(mute);
        var helloError = await ReadErrorAsync(helloOnly);
        Assert.Equal(StatusCodes.BadTimeout, muteError.Status.Code);
        Assert.Equal(StatusCodes.BadTimeout, helloError.Status.Code);
        Assert.Contains("OpenSecureChannel", helloError.Reason, StringComparison.Ordinal);
        Assert.Equal(0, await mute.ReceiveAsync(new byte[16]));
        Assert.Equal(0, await helloOnly.ReceiveAsync(new byte[16]));

        // A client that goes through the handshake in time keeps its connection past every deadline (4 s of checks).
        await using var client = await OpcUaClient.ConnectAsync(Url(server));
        await client.OpenSessionAsync("in time");
        for (var i = 0; i < 16; i++) time.Advance(TimeSpan.FromMilliseconds(250));
        Assert.True((await client.ReadValueAsync(NodeId.Of(VariableIds.Server_ServerStatus_State))).Status.IsGood);
        Assert.Equal(2, server.Refusals(ConnectionRefusal.HandshakeTimeout));
    }

    [Fact]
    public async Task A_full_server_gives_up_the_oldest_connection_without_a_session_and_never_an_activated_one()
    {
        var refusals = new List<ConnectionRefused>();
        // Deadlines far away: on a loaded machine a silent connection must be given up for room, never for its deadline.
        var options = new OpcUaServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            HostName = "127.0.0.1",
            MaxConnections = 3,
            MaxConnectionsPerAddress = 10,
            HandshakeStepTimeout = TimeSpan.FromMinutes(5),
            SessionActivationTimeout = TimeSpan.FromMinutes(5),
        };
        await using var server = Start(options, refusals);
        await using var first = await OpcUaClient.ConnectAsync(Url(server));
        await first.OpenSessionAsync("first");
        using var oldest = await ConnectAsync(server.Port, IPAddress.Loopback, sendHello: true);
        Assert.Equal(MessageType.Acknowledge, (await ReadFrameAsync(oldest)).Type);
        using var younger = await ConnectAsync(server.Port, IPAddress.Loopback, sendHello: true);
        Assert.Equal(MessageType.Acknowledge, (await ReadFrameAsync(younger)).Type);

        // Full: a newcomer takes the oldest silent connection's place, which is told why.
        using var newcomer = await ConnectAsync(server.Port, IPAddress.Loopback, sendHello: true);
        Assert.Equal(MessageType.Acknowledge, (await ReadFrameAsync(newcomer)).Type);
        Assert.Equal(StatusCodes.BadTcpServerTooBusy, (await ReadErrorAsync(oldest)).Status.Code);
        // Counted before the peer was told.
        Assert.Equal(1, server.Refusals(ConnectionRefusal.GivenUpForRoom));

        // Two more clients with sessions take the other silent places; then every slot has an activated session.
        await using var second = await OpcUaClient.ConnectAsync(Url(server));
        await second.OpenSessionAsync("second");
        await using var third = await OpcUaClient.ConnectAsync(Url(server));
        await third.OpenSessionAsync("third");
        Assert.Equal(StatusCodes.BadTcpServerTooBusy, (await ReadErrorAsync(younger)).Status.Code);
        Assert.Equal(StatusCodes.BadTcpServerTooBusy, (await ReadErrorAsync(newcomer)).Status.Code);

        using var refused = await ConnectAsync(server.Port, IPAddress.Loopback, sendHello: true);
        Assert.Equal(StatusCodes.BadTcpServerTooBusy, (await ReadErrorAsync(refused)).Status.Code);
        foreach (var client in new[] { first, second, third })
        {
            Assert.True((await client.ReadValueAsync(NodeId.Of(VariableIds.Server_ServerStatus_State))).Status.IsGood);
        }
        Assert.Equal(3, server.Refusals(ConnectionRefusal.GivenUpForRoom));
        Assert.Equal(1, server.Refusals(ConnectionRefusal.ServerFull));
        lock (refusals) Assert.Equal(4, refusals.Count(r => r.Status.Code == StatusCodes.BadTcpServerTooBusy));
    }

    private static OpcUaServer Start(OpcUaServerOptions options, List<ConnectionRefused> refusals, TimeProvider? time = null)
    {
        var server = new OpcUaServer(options, time);
        server.ConnectionRefused += refused =>
        {
            lock (refusals) refusals.Add(refused);
        };
        server.Start();
        return server;
    }

    private static string Url(OpcUaServer server) => $"opc.tcp://127.0.0.1:{server.Port}/freeopcua/server/";

    private static async Task<Socket> ConnectAsync(int port, IPAddress from, bool sendHello)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(from, 0));
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
            if (sendHello)
            {
                using var body = new BinaryEncoder();
                new HelloMessage(0, TransportLimits.Default, $"opc.tcp://127.0.0.1:{port}/freeopcua/server/").Encode(body);
                var frame = new byte[MessageHeader.Length + body.Written.Length];
                new MessageHeader(MessageType.Hello, ChunkType.Final, (uint)frame.Length).Write(frame);
                body.Written.CopyTo(frame.AsSpan(MessageHeader.Length));
                await socket.SendAsync(frame);
            }
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The next frame the server sends; fails after 10 s, far beyond any deadline under test.</summary>
    private static async Task<(MessageType Type, byte[] Body)> ReadFrameAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var header = new byte[MessageHeader.Length];
        await ReadExactlyAsync(socket, header, timeout.Token);
        var parsed = MessageHeader.Read(header);
        var body = new byte[parsed.Size - MessageHeader.Length];
        await ReadExactlyAsync(socket, body, timeout.Token);
        return (parsed.Type, body);
    }

    private static async Task<ErrorMessage> ReadErrorAsync(Socket socket)
    {
        var (type, body) = await ReadFrameAsync(socket);
        Assert.Equal(MessageType.Error, type);
        return ErrorMessage.Decode(body);
    }

    private static async Task ReadExactlyAsync(Socket socket, Memory<byte> into, CancellationToken cancellationToken)
    {
        while (into.Length > 0)
        {
            var read = await socket.ReceiveAsync(into, cancellationToken);
            if (read == 0) throw new EndOfStreamException($"the server closed the connection without a frame {socket.LocalEndPoint}");
            into = into[read..];
        }
    }
}
