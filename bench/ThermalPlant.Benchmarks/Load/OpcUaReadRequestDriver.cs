using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Messages;
using ThermalPlant.OpcUa.SecureChannel;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Transport;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.Benchmarks.Load;

/// <summary>
/// The server's cost of one ReadRequest, whole path (receive, chunk, decode, dispatch, read, encode, frame, send), in
/// process and independent of other load on the machine: our server serves <see cref="BenchTree"/> on loopback with
/// SecurityPolicy None, and one raw UA TCP client on a thread of its own keeps <c>--in-flight</c> ReadRequests of
/// <c>--per-request</c> Values outstanding, each a prepared frame whose sequence number and request id are patched, sent
/// and received with blocking socket calls that allocate nothing. Per request it prints the server's CPU (the process's
/// CPU time less the client thread's, both from /proc in clock ticks) and the bytes the managed heap allocated (all of
/// it the server's), and the gen0 collections in the window.
/// With <c>--codec</c> it instead times, on one thread and without sockets or other threads (so that other load on the
/// machine hardly moves it), what the server does to the bytes of one request: the chunk's message body decoded into a
/// ReadRequest, a ReadResponse of as many Double values encoded and framed; the best of five rounds, in ns and bytes.
/// With <c>--allocations</c> it also prints the types the runtime's allocation sampling (one event per about 100 KB)
/// saw most in each window, to tell which allocations are left.
/// With <c>--sessions N</c> it instead opens N such connections, each with an activated session and one Read done, and
/// prints per session the bytes the managed heap allocated to open them and the live heap they hold (after a full
/// collection, with the connections open), then the live heap after they closed. The clients are in the same process:
/// their receive buffers (16 KB each) are taken off, their sockets (a few hundred bytes each) are not.
/// Usage: <c>opcua-read-request [--per-request 1,10,105,1000] [--in-flight 4] [--seconds 5] [--warmup 2] [--clock-ticks 100] [--allocations] [--codec] [--sessions N]</c>.
/// </summary>
internal static class OpcUaReadRequestDriver
{
    private const int Variables = 1000;

    public static async Task<int> RunAsync(string[] args)
    {
        var sizes = (DriverArgs.Value(args, "--per-request") ?? "1,10,105,1000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var inFlight = DriverArgs.Int(args, "--in-flight", 4);
        var seconds = DriverArgs.Double(args, "--seconds", 5);
        var warmup = DriverArgs.Double(args, "--warmup", 2);
        var clockTicks = DriverArgs.Int(args, "--clock-ticks", 100);
        if (args.Contains("--codec")) return Codec(sizes);
        using var sampler = args.Contains("--allocations") ? new AllocationSampler() : null;

        var sessions = DriverArgs.Int(args, "--sessions", 0);
        var options = new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1", MaxSessions = Math.Max(100, sessions + 10), MaxConnections = Math.Max(100, sessions + 10), MaxConnectionsPerAddress = Math.Max(100, sessions + 10) };
        await using var server = new OpcUaServer(options);
        var variables = OpcUaServeDriver.AddTree(server.AddressSpace, Variables);
        var now = DateTime.UtcNow;
        for (var i = 0; i < variables.Length; i++)
        {
            variables[i].SetValue(new DataValue { Value = Variant.From(BenchTree.Value(i, 0)), SourceTimestamp = now, ServerTimestamp = now });
        }
        server.Start();
        var ns = server.AddressSpace.RegisterNamespace(BenchTree.NamespaceUri);
        if (sessions > 0) return await Sessions(server, ns, sessions, sampler);

        Console.WriteLine($"{"values/req",10} {"requests",9} {"server us/req",13} {"us/value",9} {"B alloc/req",11} {"gen0",5}");
        var failed = false;
        foreach (var size in sizes)
        {
            sampler?.Clear();
            var result = await Task.Factory.StartNew(
                () => Measure(server.Port, ns, size, inFlight, warmup, seconds, clockTicks),
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
            failed |= result.Requests == 0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{size,10} {result.Requests,9} {result.ServerCpuSeconds * 1e6 / result.Requests,13:F2} {result.ServerCpuSeconds * 1e6 / result.Requests / size,9:F3} {(double)result.Allocated / result.Requests,11:F0} {result.Gen0,5}"));
            if (sampler is not null) Console.WriteLine(sampler.Top(12));
        }
        return failed ? 1 : 0;
    }

    /// <summary>Opens <paramref name="count"/> sessions of one connection each and prints what the server's heap allocated and holds per session.</summary>
    private static async Task<int> Sessions(OpcUaServer server, ushort ns, int count, AllocationSampler? sampler)
    {
        const int ClientReceiveBytes = 16 * 1024;
        // A first session warms up the code paths (and their statics) so that they are not counted.
        using (var warm = new RawClient(server.Port, ClientReceiveBytes)) warm.ReadFrame(ns, 1);
        await Task.Delay(200);
        var live = GC.GetTotalMemory(forceFullCollection: true);
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        sampler?.Clear();
        var clients = new List<RawClient>(count);
        for (var i = 0; i < count; i++)
        {
            var client = new RawClient(server.Port, ClientReceiveBytes);
            client.ReadFrame(ns, 1);
            clients.Add(client);
        }
        await Task.Delay(500);
        // The clients are in this process too: their receive buffers are not the server's.
        var opened = GC.GetTotalAllocatedBytes(precise: true) - allocated - ((long)count * ClientReceiveBytes);
        var held = GC.GetTotalMemory(forceFullCollection: true) - live - ((long)count * ClientReceiveBytes);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sessions {count}: allocated {opened / count} B per session to open it, live heap {held / count} B per session while open"));
        if (sampler is not null) Console.WriteLine(sampler.Top(15));
        foreach (var client in clients) client.Dispose();
        clients.Clear();
        await Task.Delay(2000);
        var left = GC.GetTotalMemory(forceFullCollection: true) - live;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"after closing them: live heap {left / count} B per session (the sessions stay until their timeout)"));
        return 0;
    }

    /// <summary>Decode of a ReadRequest message and encode and framing of its ReadResponse, per request: the best of five rounds.</summary>
    private static int Codec(int[] sizes)
    {
        Console.WriteLine($"{"values/req",10} {"ns/req",9} {"B alloc/req",11}");
        var writer = new ChunkWriter(TransportLimits.Default, StatusCodes.BadResponseTooLarge);
        Span<byte> token = stackalloc byte[4];
        foreach (var size in sizes)
        {
            var request = new ReadRequest
            {
                RequestHeader = new RequestHeader { Timestamp = DateTime.UtcNow, AuthenticationToken = NodeId.Of(new byte[32], 0), RequestHandle = 1 },
                TimestampsToReturn = TimestampsToReturn.Both,
                NodesToRead = [.. Enumerable.Range(0, size).Select(i => new ReadValueId { NodeId = NodeId.Of(BenchTree.Identifier(i), 2), AttributeId = (uint)AttributeId.Value })],
            };
            byte[] message;
            using (var encoder = new BinaryEncoder())
            {
                MessageBody.Write(encoder, request);
                message = encoder.Written.ToArray();
            }
            var now = DateTime.UtcNow;
            var values = Enumerable.Range(0, size).Select(i => new DataValue { Value = Variant.From(BenchTree.Value(i, 0)), SourceTimestamp = now, ServerTimestamp = now }).ToArray();
            var iterations = Math.Max(200, 2_000_000 / (size + 10));
            var best = double.MaxValue;
            var bytes = 0L;
            for (var round = 0; round < 6; round++)
            {
                var allocated = GC.GetAllocatedBytesForCurrentThread();
                var started = Stopwatch.GetTimestamp();
                for (var i = 0; i < iterations; i++)
                {
                    var decoded = (ReadRequest)MessageBody.Read(message);
                    var results = new DataValue[decoded.NodesToRead!.Length];
                    values.AsSpan(0, results.Length).CopyTo(results);
                    var response = new ReadResponse { ResponseHeader = new ResponseHeader { Timestamp = now, RequestHandle = decoded.RequestHeader.RequestHandle }, Results = results };
                    using var body = new BinaryEncoder(4096);
                    MessageBody.Write(body, response);
                    var frame = writer.FrameRented(MessageType.Message, 1, token, 1, body.Written, ChunkSecurity.None);
                    System.Buffers.ArrayPool<byte>.Shared.Return(frame.Array!);
                }
                var elapsed = Stopwatch.GetElapsedTime(started).TotalNanoseconds / iterations;
                // The first round warms up (the JIT's tiers); the best of the other five is kept.
                if (round == 0) continue;
                best = Math.Min(best, elapsed);
                bytes = (GC.GetAllocatedBytesForCurrentThread() - allocated) / iterations;
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{size,10} {best,9:F0} {bytes,11}"));
        }
        return 0;
    }

    private readonly record struct Result(long Requests, double ServerCpuSeconds, long Allocated, int Gen0);

    private static Result Measure(int port, ushort ns, int perRequest, int inFlight, double warmup, double seconds, int clockTicks)
    {
        using var client = new RawClient(port);
        var frame = client.ReadFrame(ns, perRequest);
        client.Load(frame, inFlight, warmup);
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var gen0 = GC.CollectionCount(0);
        var process = ProcessCpu.Seconds(Environment.ProcessId, clockTicks);
        var thread = ThreadCpuSeconds(clockTicks);
        var requests = client.Load(frame, inFlight, seconds);
        var serverCpu = ProcessCpu.Seconds(Environment.ProcessId, clockTicks) - process - (ThreadCpuSeconds(clockTicks) - thread);
        return new Result(requests, serverCpu, GC.GetTotalAllocatedBytes(precise: true) - allocated, GC.CollectionCount(0) - gen0);
    }

    /// <summary>Counts the runtime's GCAllocationTick events by type name.</summary>
    private sealed class AllocationSampler : EventListener
    {
        private readonly ConcurrentDictionary<string, long> _bytes = new();

        public void Clear() => _bytes.Clear();

        public string Top(int count)
        {
            var total = Math.Max(1, _bytes.Values.Sum());
            return string.Join(Environment.NewLine, _bytes.OrderByDescending(p => p.Value).Take(count)
                .Select(p => string.Create(CultureInfo.InvariantCulture, $"    {p.Value * 100.0 / total,5:F1} % {p.Key}")));
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            // The GC keyword at Verbose level carries the allocation ticks.
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1);
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (!eventData.EventName!.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.PayloadNames is not { } names) return;
            var type = eventData.Payload![names.IndexOf("TypeName")] as string ?? "?";
            var amount = names.IndexOf("AllocationAmount64") is >= 0 and var at ? Convert.ToInt64(eventData.Payload[at], CultureInfo.InvariantCulture) : 100_000;
            _bytes.AddOrUpdate(type, amount, (_, sum) => sum + amount);
        }
    }

    /// <summary>CPU seconds of the calling thread: utime + stime of /proc/thread-self/stat, in clock ticks.</summary>
    private static double ThreadCpuSeconds(int clockTicks)
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / (double)clockTicks;
    }

    /// <summary>A UA TCP client over SecurityPolicy None with blocking calls: Hello, OpenSecureChannel, CreateSession, ActivateSession (anonymous), then reads.</summary>
    private sealed class RawClient : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        private readonly byte[] _receive;
        private readonly ChunkWriter _writer = new(TransportLimits.Default, StatusCodes.BadRequestTooLarge);
        private readonly byte[] _tokenHeader = new byte[4];
        private int _start;
        private int _end;
        private uint _channelId;
        private uint _requestId;
        private uint _sequenceNumber;
        private NodeId _authenticationToken = NodeId.Null;

        /// <summary>Connects and opens a session; responses are received into <paramref name="receiveBytes"/> bytes.</summary>
        public RawClient(int port, int receiveBytes = 1 << 20)
        {
            _receive = new byte[receiveBytes];
            _socket.Connect(IPAddress.Loopback, port);
            var url = string.Create(CultureInfo.InvariantCulture, $"opc.tcp://127.0.0.1:{port}/");
            using (var hello = new BinaryEncoder())
            {
                new HelloMessage(0, TransportLimits.Default, url).Encode(hello);
                var bytes = new byte[MessageHeader.Length + hello.Length];
                new MessageHeader(MessageType.Hello, ChunkType.Final, (uint)bytes.Length).Write(bytes);
                hello.Written.CopyTo(bytes.AsSpan(MessageHeader.Length));
                _socket.Send(bytes);
            }
            Expect(MessageType.Acknowledge);

            using (var header = new BinaryEncoder())
            {
                new AsymmetricSecurityHeader(SecurityPolicyUris.None, null, null).Write(header);
                var opened = (OpenSecureChannelResponse)Call(MessageType.OpenSecureChannel, header.Written, new OpenSecureChannelRequest
                {
                    RequestHeader = new RequestHeader { Timestamp = DateTime.UtcNow },
                    RequestType = SecurityTokenRequestType.Issue,
                    SecurityMode = MessageSecurityMode.None,
                    ClientNonce = [],
                    RequestedLifetime = 3_600_000,
                });
                _channelId = opened.SecurityToken.ChannelId;
                BinaryPrimitives.WriteUInt32LittleEndian(_tokenHeader, opened.SecurityToken.TokenId);
            }
            var created = (CreateSessionResponse)Call(MessageType.Message, _tokenHeader, new CreateSessionRequest
            {
                RequestHeader = new RequestHeader { Timestamp = DateTime.UtcNow },
                ClientDescription = new ApplicationDescription { ApplicationUri = "urn:thermalplant:bench:raw", ApplicationType = ApplicationType.Client },
                EndpointUrl = url,
                SessionName = "raw",
                ClientNonce = new byte[32],
                RequestedSessionTimeout = 60_000,
            });
            _authenticationToken = created.AuthenticationToken;
            var activated = (IServiceResponse)Call(MessageType.Message, _tokenHeader, new ActivateSessionRequest
            {
                RequestHeader = new RequestHeader { Timestamp = DateTime.UtcNow, AuthenticationToken = _authenticationToken },
            });
            if (activated is not ActivateSessionResponse) throw new InvalidOperationException($"ActivateSession answered {activated.ResponseHeader.ServiceResult}");
        }

        /// <summary>A ReadRequest of the Values of the first <paramref name="count"/> variables, framed; checked by one read.</summary>
        public byte[] ReadFrame(ushort ns, int count)
        {
            var request = new ReadRequest
            {
                RequestHeader = new RequestHeader { Timestamp = DateTime.UtcNow, AuthenticationToken = _authenticationToken, RequestHandle = 1 },
                TimestampsToReturn = TimestampsToReturn.Both,
                NodesToRead = [.. Enumerable.Range(0, count).Select(i => new ReadValueId { NodeId = NodeId.Of(BenchTree.Identifier(i), ns), AttributeId = (uint)AttributeId.Value })],
            };
            var response = Call(MessageType.Message, _tokenHeader, request);
            if (response is not ReadResponse { Results: { } results } || results.Length != count || results.Any(r => !r.Status.IsGood))
            {
                throw new InvalidOperationException($"the server did not read {count} Good values: {response.GetType().Name}");
            }
            using var body = new BinaryEncoder();
            MessageBody.Write(body, request);
            var frame = _writer.FrameRented(MessageType.Message, _channelId, _tokenHeader, ++_requestId, body.Written, ChunkSecurity.None);
            if (BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(MessageHeader.Length)) != _channelId) throw new InvalidOperationException("frame layout");
            _sequenceNumber = BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(16)) - 1;
            return frame.ToArray();
        }

        /// <summary>Keeps <paramref name="inFlight"/> copies of <paramref name="frame"/> outstanding for <paramref name="seconds"/>; returns the responses received.</summary>
        public long Load(byte[] frame, int inFlight, double seconds)
        {
            var batch = new byte[frame.Length * inFlight];
            for (var i = 0; i < inFlight; i++) frame.CopyTo(batch, i * frame.Length);
            Send(batch, frame.Length, inFlight);
            var outstanding = inFlight;
            long answered = 0;
            var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
            while (outstanding > 0)
            {
                var finals = ReceiveFinals();
                outstanding -= finals;
                answered += finals;
                if (Stopwatch.GetTimestamp() >= deadline || finals == 0) continue;
                Send(batch, frame.Length, finals);
                outstanding += finals;
            }
            return answered;
        }

        public void Dispose() => _socket.Dispose();

        /// <summary>Sends the first <paramref name="count"/> frames of <paramref name="batch"/> with the next sequence numbers and request ids, in one send.</summary>
        private void Send(byte[] batch, int frameLength, int count)
        {
            for (var i = 0; i < count; i++)
            {
                var frame = batch.AsSpan(i * frameLength, frameLength);
                BinaryPrimitives.WriteUInt32LittleEndian(frame[16..], ++_sequenceNumber);
                BinaryPrimitives.WriteUInt32LittleEndian(frame[20..], ++_requestId);
            }
            _socket.Send(batch.AsSpan(0, frameLength * count));
        }

        /// <summary>Receives what the socket has and counts the final chunks now whole in the buffer; a partial chunk waits for the next call.</summary>
        private int ReceiveFinals()
        {
            if (_start > 0)
            {
                _receive.AsSpan(_start, _end - _start).CopyTo(_receive);
                _end -= _start;
                _start = 0;
            }
            var read = _socket.Receive(_receive.AsSpan(_end));
            if (read == 0) throw new EndOfStreamException("the server closed the connection");
            _end += read;
            var finals = 0;
            while (_end - _start >= MessageHeader.Length)
            {
                var header = MessageHeader.Read(_receive.AsSpan(_start, MessageHeader.Length));
                if (_end - _start < header.Size) break;
                if (header.Type != MessageType.Message) throw new InvalidOperationException($"the server sent {header.Type}");
                if (header.Chunk == ChunkType.Final) finals++;
                _start += (int)header.Size;
            }
            return finals;
        }

        private IEncodeable Call(MessageType type, ReadOnlySpan<byte> securityHeader, IEncodeable request)
        {
            using var body = new BinaryEncoder();
            MessageBody.Write(body, request);
            _socket.Send(_writer.Frame(type, _channelId, securityHeader, ++_requestId, body.Written, ChunkSecurity.None));
            var chunk = Expect(type);
            var at = MessageHeader.Length + 4 + (type == MessageType.OpenSecureChannel ? SecurityHeaderLength(chunk.AsSpan(MessageHeader.Length + 4)) : 4);
            return MessageBody.Read(chunk.AsSpan(at + SequenceHeader.Length));
        }

        private static int SecurityHeaderLength(ReadOnlySpan<byte> header)
        {
            var decoder = new BinaryDecoder(header);
            AsymmetricSecurityHeader.Read(ref decoder);
            return decoder.Position;
        }

        /// <summary>Reads one whole chunk of <paramref name="type"/> (a single-chunk answer, as the handshake's are).</summary>
        private byte[] Expect(MessageType type)
        {
            while (true)
            {
                if (_end - _start >= MessageHeader.Length)
                {
                    var header = MessageHeader.Read(_receive.AsSpan(_start, MessageHeader.Length));
                    if (_end - _start >= header.Size)
                    {
                        var chunk = _receive.AsSpan(_start, (int)header.Size).ToArray();
                        _start += (int)header.Size;
                        if (header.Type != type || header.Chunk != ChunkType.Final) throw new InvalidOperationException($"expected one {type} chunk, got {header.Type} {header.Chunk}");
                        return chunk;
                    }
                }
                var read = _socket.Receive(_receive.AsSpan(_end));
                if (read == 0) throw new EndOfStreamException("the server closed the connection");
                _end += read;
            }
        }
    }
}
