using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ThermalPlant.Modbus.Client;
using ThermalPlant.Modbus.Server;

namespace ThermalPlant.Modbus.Tests;

/// <summary>
/// The server's connection limits through real sockets: a per-address cap, an idle timeout, and the connection idle
/// longest given up when full, so that held sockets from one address never lock out a client polling from another.
/// </summary>
public sealed class ConnectionLimitTests
{
    private static readonly IPAddress Attacker = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress Other = IPAddress.Parse("127.0.0.3");
    private static readonly byte[] ReadOneRegister = [0x03, 0x00, 0x00, 0x00, 0x01];

    [Fact]
    public async Task A_thousand_held_sockets_from_one_address_leave_a_polling_client_and_newcomers_served()
    {
        var dropped = new ConcurrentQueue<ModbusConnectionDropped>();
        await using var server = new ModbusTcpServer(new ModbusDataStore(), new ModbusServerOptions { Port = 0 });
        server.ConnectionDropped += dropped.Enqueue;
        server.Start();
        server.Store.WriteHoldingRegisters(0, [1234]);
        await using var client = new ModbusTcpClient(new ModbusClientOptions { Port = server.Port, RequestTimeout = TimeSpan.FromSeconds(5) });
        Assert.Equal(new ushort[] { 1234 }, await client.ReadHoldingRegistersAsync(1, 0, 1));

        using var attack = new CancellationTokenSource();
        var sockets = await Task.WhenAll(Enumerable.Range(0, 1000).Select(_ => ConnectFromAsync(Attacker, server.Port)));
        // Each held socket sends one read every 3 s and reads its answer, as a patient attacker would.
        var holders = sockets.Select(socket => HoldAsync(socket, TimeSpan.FromSeconds(3), attack.Token)).ToArray();
        try
        {
            var slowest = TimeSpan.Zero;
            var reads = 0;
            var until = Stopwatch.StartNew();
            while (until.Elapsed < TimeSpan.FromSeconds(10))
            {
                var started = Stopwatch.GetTimestamp();
                Assert.Equal(new ushort[] { 1234 }, await client.ReadHoldingRegistersAsync(1, 0, 1));
                var took = Stopwatch.GetElapsedTime(started);
                if (took > slowest) slowest = took;
                reads++;
                if (reads % 20 == 0)
                {
                    // A newcomer from the client's address is served too, while the attack goes on.
                    await using var fresh = await RawConnection.OpenAsync(server.Port);
                    Assert.Equal([0x03, 0x02, 0x04, 0xD2], await fresh.ExchangeAsync(1, ReadOneRegister));
                }
                await Task.Delay(50);
            }

            Assert.True(slowest < TimeSpan.FromSeconds(2), $"the slowest read took {slowest.TotalMilliseconds:F0} ms");
            Assert.True(server.OpenConnections <= 16, $"{server.OpenConnections} connections open");
            Assert.True(dropped.Count(d => d.Reason == ModbusDropReason.PerAddressLimit && d.Peer.Address.Equals(Attacker)) >= 1000 - 4,
                $"only {dropped.Count(d => d.Reason == ModbusDropReason.PerAddressLimit)} refusals for the attacker's address");
            Assert.DoesNotContain(dropped, d => d.Peer.Address.Equals(IPAddress.Loopback));
        }
        finally
        {
            await attack.CancelAsync();
            await Task.WhenAll(holders);
            foreach (var socket in sockets) socket.Dispose();
        }
    }

    [Fact]
    public async Task When_full_the_connection_idle_longest_is_given_up_for_a_newcomer()
    {
        var dropped = new ConcurrentQueue<ModbusConnectionDropped>();
        await using var server = new ModbusTcpServer(new ModbusDataStore(), new ModbusServerOptions { Port = 0, MaxConnections = 3, MaxConnectionsPerAddress = 3 });
        server.ConnectionDropped += dropped.Enqueue;
        server.Start();
        await using var a = await RawConnection.OpenAsync(server.Port, Attacker);
        await using var b = await RawConnection.OpenAsync(server.Port, Attacker);
        await using var c = await RawConnection.OpenAsync(server.Port, Other);
        await a.ExchangeAsync(1, ReadOneRegister);
        await Task.Delay(20);
        await b.ExchangeAsync(1, ReadOneRegister);
        await Task.Delay(20);
        await c.ExchangeAsync(1, ReadOneRegister);
        await Task.Delay(20);
        // b is busy again: a, which connected first and has not asked anything since, is now the one idle longest.
        await b.ExchangeAsync(1, ReadOneRegister);

        await using var newcomer = await RawConnection.OpenAsync(server.Port);

        Assert.Equal([0x03, 0x02, 0x00, 0x00], await newcomer.ExchangeAsync(1, ReadOneRegister));
        Assert.True(await a.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)), "the connection idle longest was kept");
        // Reported before the peer saw the close.
        var evicted = Assert.Single(dropped);
        Assert.Equal(ModbusDropReason.Evicted, evicted.Reason);
        Assert.Equal(a.LocalEndPoint, evicted.Peer);
        Assert.Equal([0x03, 0x02, 0x00, 0x00], await b.ExchangeAsync(1, ReadOneRegister));
        Assert.Equal([0x03, 0x02, 0x00, 0x00], await c.ExchangeAsync(1, ReadOneRegister));
        Assert.Single(dropped);
        Assert.Equal(3, server.OpenConnections);
    }

    [Fact]
    public async Task When_full_a_connection_that_never_asked_is_given_up_before_one_idle_longer()
    {
        var dropped = new ConcurrentQueue<ModbusConnectionDropped>();
        await using var server = new ModbusTcpServer(new ModbusDataStore(), new ModbusServerOptions { Port = 0, MaxConnections = 3, MaxConnectionsPerAddress = 3 });
        server.ConnectionDropped += dropped.Enqueue;
        server.Start();
        await using var a = await RawConnection.OpenAsync(server.Port, Attacker);
        await using var b = await RawConnection.OpenAsync(server.Port, Attacker);
        await a.ExchangeAsync(1, ReadOneRegister);
        await Task.Delay(20);
        await b.ExchangeAsync(1, ReadOneRegister);
        await using var silent = await RawConnection.OpenAsync(server.Port, Other);
        await WaitForAsync(() => server.OpenConnections == 3, "the silent connection to be admitted");

        await using var newcomer = await RawConnection.OpenAsync(server.Port);

        Assert.Equal([0x03, 0x02, 0x00, 0x00], await newcomer.ExchangeAsync(1, ReadOneRegister));
        Assert.True(await silent.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)), "a connection that never asked was kept");
        Assert.Equal([0x03, 0x02, 0x00, 0x00], await a.ExchangeAsync(1, ReadOneRegister));
        Assert.Equal(silent.LocalEndPoint, Assert.Single(dropped).Peer);
    }

    [Fact]
    public async Task Busy_peers_on_many_addresses_churning_connections_cannot_push_out_a_poller_that_was_there_first()
    {
        var dropped = new ConcurrentQueue<ModbusConnectionDropped>();
        // 8 places: the first 2 in order of connection are never given up for being idle.
        await using var server = new ModbusTcpServer(new ModbusDataStore(), new ModbusServerOptions { Port = 0, MaxConnections = 8 });
        server.ConnectionDropped += dropped.Enqueue;
        server.Start();
        server.Store.WriteHoldingRegisters(0, [1234]);
        await using var poller = await RawConnection.OpenAsync(server.Port);
        Assert.Equal([0x03, 0x02, 0x04, 0xD2], await poller.ExchangeAsync(1, ReadOneRegister));

        // Each newcomer comes from another /24 and asks every 20 ms, so it is always more recently active than a
        // poller asking every 300 ms: under "idle longest goes" alone, the poller would be the one given up.
        using var attack = new CancellationTokenSource();
        var holders = new List<Task>();
        var sockets = new List<Socket>();
        var churn = Task.Run(async () =>
        {
            for (var k = 1; !attack.IsCancellationRequested; k = k % 200 + 1)
            {
                var socket = await ConnectFromAsync(IPAddress.Parse($"127.{k}.0.2"), server.Port);
                lock (sockets) sockets.Add(socket);
                holders.Add(HoldAsync(socket, TimeSpan.FromMilliseconds(20), attack.Token));
                await Task.Delay(25);
            }
        });
        try
        {
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < TimeSpan.FromSeconds(6))
            {
                Assert.Equal([0x03, 0x02, 0x04, 0xD2], await poller.ExchangeAsync(1, ReadOneRegister));
                await Task.Delay(300);
            }
        }
        finally
        {
            await attack.CancelAsync();
            await churn;
            await Task.WhenAll(holders);
            lock (sockets) sockets.ForEach(socket => socket.Dispose());
        }

        Assert.DoesNotContain(dropped, d => d.Peer.Address.Equals(IPAddress.Loopback));
        Assert.True(dropped.Count(d => d.Reason == ModbusDropReason.Evicted) >= 20, $"only {dropped.Count(d => d.Reason == ModbusDropReason.Evicted)} evictions: the server was never full");
    }

    [Fact]
    public async Task A_connection_beyond_the_per_address_cap_is_closed_and_a_freed_place_is_taken_again()
    {
        var dropped = new ConcurrentQueue<ModbusConnectionDropped>();
        await using var server = new ModbusTcpServer(new ModbusDataStore(), new ModbusServerOptions { Port = 0, MaxConnections = 8, MaxConnectionsPerAddress = 2 });
        server.ConnectionDropped += dropped.Enqueue;
        server.Start();
        var first = await RawConnection.OpenAsync(server.Port, Attacker);
        await using var second = await RawConnection.OpenAsync(server.Port, Attacker);
        await first.ExchangeAsync(1, ReadOneRegister);
        await second.ExchangeAsync(1, ReadOneRegister);

        await using (var third = await RawConnection.OpenAsync(server.Port, Attacker))
        {
            Assert.True(await third.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)), "a third connection from one address was kept");
            // Reported before the peer saw the close.
            Assert.Equal(ModbusDropReason.PerAddressLimit, Assert.Single(dropped).Reason);
        }
        await using (var fromElsewhere = await RawConnection.OpenAsync(server.Port, Other))
        {
            Assert.Equal([0x03, 0x02, 0x00, 0x00], await fromElsewhere.ExchangeAsync(1, ReadOneRegister));
        }
        Assert.Equal(ModbusDropReason.PerAddressLimit, Assert.Single(dropped).Reason);

        await first.DisposeAsync();
        var until = Stopwatch.StartNew();
        while (server.OpenConnections > 1)
        {
            Assert.True(until.Elapsed < TimeSpan.FromSeconds(10), "the closed connection was never released");
            await Task.Delay(20);
        }
        await using var again = await RawConnection.OpenAsync(server.Port, Attacker);
        Assert.Equal([0x03, 0x02, 0x00, 0x00], await again.ExchangeAsync(1, ReadOneRegister));
    }

    [Fact]
    public async Task A_silent_or_trickling_connection_is_closed_after_the_idle_timeout_and_a_polling_one_is_not()
    {
        var dropped = new ConcurrentQueue<ModbusConnectionDropped>();
        await using var server = new ModbusTcpServer(new ModbusDataStore(), new ModbusServerOptions { Port = 0, IdleTimeout = TimeSpan.FromSeconds(2) });
        server.ConnectionDropped += dropped.Enqueue;
        server.Start();
        await using var silent = await RawConnection.OpenAsync(server.Port);
        await using var trickling = await RawConnection.OpenAsync(server.Port);
        await using var polling = await RawConnection.OpenAsync(server.Port);
        using var stop = new CancellationTokenSource();
        // A whole frame a byte at a time, 300 ms apart (3.3 s): no request completes within the timeout. The polling
        // client's 200 ms leaves a tenfold margin, so a loaded machine's pauses do not close it.
        var trickle = Task.Run(async () =>
        {
            byte[] frame = [0, 1, 0, 0, 0, 6, 1, .. ReadOneRegister];
            try
            {
                foreach (var b in frame)
                {
                    await trickling.SendAsync([b]);
                    await Task.Delay(300, stop.Token);
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException)
            {
            }
        });

        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(4))
        {
            Assert.Equal([0x03, 0x02, 0x00, 0x00], await polling.ExchangeAsync(1, ReadOneRegister));
            await Task.Delay(200);
        }

        Assert.True(await silent.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)), "a silent connection outlived the idle timeout");
        Assert.True(await trickling.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)), "a trickled frame kept its connection open");
        await stop.CancelAsync();
        await trickle;
        Assert.Equal(2, dropped.Count(d => d.Reason == ModbusDropReason.IdleTimeout));
        Assert.Equal([0x03, 0x02, 0x00, 0x00], await polling.ExchangeAsync(1, ReadOneRegister));
    }

    [Theory]
    [InlineData(16, 17, 60_000, "MaxConnectionsPerAddress must be between 1 and MaxConnections")]
    [InlineData(16, 0, 60_000, "MaxConnectionsPerAddress must be between 1 and MaxConnections")]
    [InlineData(16, 4, 50, "IdleTimeout must be between 100 ms and 1 hour")]
    [InlineData(2000, 4, 60_000, "MaxConnections must be between 1 and 1024")]
    public void Connection_limits_are_validated_at_construction(int max, int perAddress, int idleMilliseconds, string error)
    {
        var options = new ModbusServerOptions { Port = 0, MaxConnections = max, MaxConnectionsPerAddress = perAddress, IdleTimeout = TimeSpan.FromMilliseconds(idleMilliseconds) };
        var thrown = Assert.Throws<ArgumentException>(() => new ModbusTcpServer(new ModbusDataStore(), options));
        Assert.Contains(error, thrown.Message, StringComparison.Ordinal);
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var until = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(until.Elapsed < TimeSpan.FromSeconds(10), $"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    private static async Task<Socket> ConnectFromAsync(IPAddress from, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(from, 0));
        await socket.ConnectAsync(IPAddress.Loopback, port);
        return socket;
    }

    /// <summary>Sends a read every <paramref name="interval"/> and reads the answer, until cancelled or closed by the server.</summary>
    private static async Task HoldAsync(Socket socket, TimeSpan interval, CancellationToken cancellationToken)
    {
        var frame = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(4), 6);
        frame[6] = 1;
        ReadOneRegister.CopyTo(frame, 7);
        var answer = new byte[11];
        try
        {
            while (true)
            {
                await socket.SendAsync(frame, cancellationToken);
                var read = 0;
                while (read < answer.Length)
                {
                    var n = await socket.ReceiveAsync(answer.AsMemory(read), cancellationToken);
                    if (n == 0) return;
                    read += n;
                }
                await Task.Delay(interval, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }
}
