using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Transport;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Testing;

namespace ThermalPlant.OpcServer.Tests;

/// <summary>The service's OPC UA limits: bound from OpcServer:Limits, checked at start, shown to clients, refusals in /metrics.</summary>
public sealed partial class OpcServerLimitsTests
{
    [Fact]
    public void Limits_below_1_or_a_per_address_cap_above_the_total_are_refused_with_the_key_named()
    {
        var options = new OpcServerOptions();
        options.Limits.MaxConnections = 10;
        options.Limits.MaxConnectionsPerAddress = 11;
        options.Limits.MaxHistoryValuesPerNode = 0;
        options.Limits.SessionActivationTimeout = TimeSpan.FromSeconds(1);
        var errors = new List<string>();
        options.Validate(OpcServerOptions.Section, errors);
        Assert.Contains("OpcServer:Limits:MaxConnectionsPerAddress must not exceed MaxConnections", errors);
        Assert.Contains("OpcServer:Limits:MaxHistoryValuesPerNode must be at least 1", errors);
        Assert.Contains("OpcServer:Limits:SessionActivationTimeout must be at least HandshakeStepTimeout", errors);

        var defaults = new List<string>();
        new OpcServerOptions().Validate(OpcServerOptions.Section, defaults);
        Assert.Empty(defaults);
    }

    [Fact]
    public async Task The_configured_limits_are_served_and_a_refused_connection_is_counted_in_metrics()
    {
        await using var stack = await PlantStack.StartAsync("--OpcServer:Limits:MaxConnectionsPerAddress=2", "--OpcServer:Limits:MaxNodesPerOperation=500");
        Assert.NotNull(stack);
        var port = new Uri(stack.OpcUrl).Port;

        using var one = await HelloAsync(port);
        using var two = await HelloAsync(port);
        Assert.Equal(MessageType.Acknowledge, (await ReadFrameAsync(one)).Type);
        Assert.Equal(MessageType.Acknowledge, (await ReadFrameAsync(two)).Type);
        using var three = await HelloAsync(port);
        var (type, body) = await ReadFrameAsync(three);
        Assert.Equal(MessageType.Error, type);
        Assert.Equal(StatusCodes.BadTcpServerTooBusy, ErrorMessage.Decode(body).Status.Code);

        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(new Uri(stack.OpcServerHttp, "metrics"));
        var refused = RefusedByAddress().Match(metrics);
        Assert.True(refused.Success, "no address_limit series in /metrics");
        Assert.True(double.Parse(refused.Groups[1].Value, CultureInfo.InvariantCulture) >= 1);
        MetricConvention.AssertFollowed(metrics);

        one.Dispose();
        two.Dispose();
        await using var client = await ConnectWithRetryAsync(stack.OpcUrl);
        await client.OpenSessionAsync("limits");
        Assert.Equal(500u, (await client.ReadValueAsync(NodeId.Of(VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead))).Value.Value);
    }

    [GeneratedRegex("""thermalplant_opcserver_connections_refused_total\{reason="address_limit"\} ([0-9.e+]+)""")]
    private static partial Regex RefusedByAddress();

    /// <summary>Our client, once the server has noticed the two raw sockets closing and freed the address's slots.</summary>
    private static async Task<OpcUaClient> ConnectWithRetryAsync(string url)
    {
        // Generous: each attempt is a whole connect, which took seconds on a loaded machine (the test ran 13.6 s there).
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                return await OpcUaClient.ConnectAsync(url, cancellationToken: deadline.Token);
            }
            catch (Exception ex) when (ex is OpcUaException or IOException or SocketException && !deadline.IsCancellationRequested)
            {
                await Task.Delay(100, deadline.Token);
            }
        }
    }

    private static async Task<Socket> HelloAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
            using var body = new BinaryEncoder();
            new HelloMessage(0, TransportLimits.Default, $"opc.tcp://127.0.0.1:{port}/freeopcua/server/").Encode(body);
            var frame = new byte[MessageHeader.Length + body.Written.Length];
            new MessageHeader(MessageType.Hello, ChunkType.Final, (uint)frame.Length).Write(frame);
            body.Written.CopyTo(frame.AsSpan(MessageHeader.Length));
            await socket.SendAsync(frame);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

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

    private static async Task ReadExactlyAsync(Socket socket, Memory<byte> into, CancellationToken cancellationToken)
    {
        while (into.Length > 0)
        {
            var read = await socket.ReceiveAsync(into, cancellationToken);
            if (read == 0) throw new EndOfStreamException("the server closed the connection without a frame");
            into = into[read..];
        }
    }
}
