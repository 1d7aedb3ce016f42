using System.Net;
using System.Net.Sockets;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.SecureChannel;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Transport;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Fuzz;

/// <summary>
/// Bounded fuzzing for CI: mutated valid messages through the decoder (only OpcUaException may come out) and
/// through a live connection (the server answers other clients throughout). bench/ documents a long run.
/// </summary>
public sealed class FuzzTests
{
    // THERMALPLANT_FUZZ_ROUNDS raises the decoder rounds for a long run (docs/BENCHMARKS.md).
    private static readonly int DecoderRounds = int.TryParse(Environment.GetEnvironmentVariable("THERMALPLANT_FUZZ_ROUNDS"), out var rounds) ? rounds : 20_000;
    private const int ConnectionRounds = 300;

    [Fact]
    public void Mutated_messages_only_ever_fail_with_a_status_code()
    {
        var random = new Random(20261124);
        var seeds = SeedMessages();
        for (var round = 0; round < DecoderRounds; round++)
        {
            var input = Mutate(seeds[round % seeds.Length], random);
            try
            {
                MessageBody.Read(input, new EncodingLimits { MaxArrayLength = 10_000, MaxStringLength = 10_000, MaxByteStringLength = 10_000 });
            }
            catch (OpcUaException)
            {
            }
        }
    }

    [Fact]
    public async Task Mutated_frames_on_live_connections_leave_the_server_serving()
    {
        await using var server = new OpcUaServer(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1" });
        server.Start();
        var url = $"opc.tcp://127.0.0.1:{server.Port}/";
        var random = new Random(7);
        var hello = HelloFrame(url);
        var seeds = SeedMessages();
        for (var round = 0; round < ConnectionRounds; round++)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
            var stream = tcp.GetStream();
            var frame = round % 2 == 0 ? Mutate(hello, random) : [.. hello, .. Mutate(Chunk(seeds[round % seeds.Length]), random)];
            await stream.WriteAsync(frame);
            tcp.Client.Shutdown(SocketShutdown.Send);
            using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var buffer = new byte[4096];
            try
            {
                while (await stream.ReadAsync(buffer, drain.Token) > 0)
                {
                }
            }
            catch (IOException)
            {
            }
        }
        await using var client = await OpcUaClient.ConnectAsync(url);
        await client.OpenSessionAsync("after-fuzz");
        Assert.True((await client.ReadValueAsync(NodeId.Of(VariableIds.Server_ServerStatus_State))).Status.IsGood);
    }

    private static byte[][] SeedMessages()
    {
        IEncodeable[] messages =
        [
            new ReadRequest { NodesToRead = [new ReadValueId { NodeId = NodeId.Parse("ns=2;s=Plant.Temperature.Upper"), AttributeId = 13 }] },
            new BrowseRequest { NodesToBrowse = [new BrowseDescription { NodeId = NodeId.Of(85), ResultMask = 63 }] },
            new WriteRequest { NodesToWrite = [new WriteValue { NodeId = NodeId.Of(1, 2), AttributeId = 13, Value = new DataValue { Value = Variant.From([1.0, 2.0]), SourceTimestamp = DateTime.UtcNow } }] },
            new CreateSessionRequest { SessionName = "fuzz", ClientNonce = new byte[32], RequestedSessionTimeout = 1000 },
            new ReadResponse { Results = [new DataValue { Value = new Variant(BuiltInType.Variant, Variant.From("x")), Status = StatusCodes.BadTimeout }], DiagnosticInfos = [new DiagnosticInfo { InnerDiagnosticInfo = new DiagnosticInfo { AdditionalInfo = "y" } }] },
        ];
        return [.. messages.Select(m =>
        {
            using var encoder = new BinaryEncoder();
            MessageBody.Write(encoder, m);
            return encoder.Written.ToArray();
        })];
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = seed.ToArray();
        switch (random.Next(4))
        {
            case 0:
                for (var i = 0; i < 1 + random.Next(4); i++) bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return bytes;
            case 1:
                return bytes[..random.Next(bytes.Length)];
            case 2:
                var at = random.Next(Math.Max(1, bytes.Length - 4));
                BitConverter.TryWriteBytes(bytes.AsSpan(at), random.Next(4) switch { 0 => -2, 1 => int.MaxValue, 2 => 1 << 20, _ => random.Next() });
                return bytes;
            default:
                var noise = new byte[random.Next(64)];
                random.NextBytes(noise);
                return [.. bytes, .. noise];
        }
    }

    private static byte[] HelloFrame(string url)
    {
        using var body = new BinaryEncoder();
        new HelloMessage(0, TransportLimits.Default, url).Encode(body);
        var frame = new byte[MessageHeader.Length + body.Length];
        new MessageHeader(MessageType.Hello, ChunkType.Final, (uint)frame.Length).Write(frame);
        body.Written.CopyTo(frame.AsSpan(MessageHeader.Length));
        return frame;
    }

    private static byte[] Chunk(byte[] body)
    {
        using var security = new BinaryEncoder();
        new AsymmetricSecurityHeader(ThermalPlant.OpcUa.Security.SecurityPolicyUris.None, null, null).Write(security);
        return new ChunkWriter(TransportLimits.Default, StatusCodes.BadRequestTooLarge).Frame(MessageType.OpenSecureChannel, 0, security.Written, 1, body, ChunkSecurity.None);
    }
}
