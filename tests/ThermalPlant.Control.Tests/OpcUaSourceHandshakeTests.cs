using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ThermalPlant.Control.Sources;
using ThermalPlant.Electrolyzer.Simulation;

namespace ThermalPlant.Control.Tests;

/// <summary>
/// The control link's OPC UA source against a server that accepts TCP and never answers (issue 13, item 4): each
/// attempt ends at the handshake deadline naming the step, is logged and retried with backoff, and the source reads
/// once a real server listens on that port.
/// </summary>
public sealed class OpcUaSourceHandshakeTests
{
    [Fact]
    public async Task A_silent_server_leaves_the_source_in_backoff_naming_the_step_until_a_server_answers()
    {
        var plc = MethanationPlc.Options();
        var silent = new TcpListener(IPAddress.Loopback, plc.Port);
        silent.Start();
        var held = new List<TcpClient>();
        var accepting = Task.Run(async () =>
        {
            while (true) held.Add(await silent.AcceptTcpClientAsync());
        });
        var logger = new LogCollector<OpcUaControlSource>();
        var states = new List<(SourceConnectionState State, string? Problem)>();
        await using var source = new OpcUaControlSource(new OpcUaSourceOptions
        {
            EndpointUrl = $"opc.tcp://127.0.0.1:{plc.Port}/",
            NodeId = MethanationUnit.RequestNodeId,
            UserName = MethanationPlc.UserName,
            Password = MethanationPlc.Password,
            ReadTimeout = TimeSpan.FromSeconds(1),
            ReconnectDelay = TimeSpan.FromMilliseconds(200),
            MaxReconnectDelay = TimeSpan.FromMilliseconds(500),
        }, logger, TimeProvider.System);
        source.StateChanged += (state, problem) =>
        {
            lock (states) states.Add((state, problem));
        };

        var watch = Stopwatch.StartNew();
        var reading = await source.ReadAsync(CancellationToken.None);
        watch.Stop();

        Assert.Equal(SourceQuality.Unreachable, reading.Quality);
        Assert.Contains("BadTimeout", reading.Problem, StringComparison.Ordinal);
        Assert.Contains("Hello/Acknowledge", reading.Problem, StringComparison.Ordinal);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        Assert.Equal(SourceConnectionState.Backoff, source.State);
        Assert.Contains(logger.Entries, e => e.Event.Id == 301 && e.Message.Contains("Hello/Acknowledge", StringComparison.Ordinal));

        silent.Stop();
        await Assert.ThrowsAnyAsync<Exception>(() => accepting);
        foreach (var tcp in held) tcp.Dispose();
        await using var methanation = new MethanationUnit(plc, TimeProvider.System);
        methanation.Start();

        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        do
        {
            await Task.Delay(250);
            reading = await source.ReadAsync(CancellationToken.None);
        }
        while (reading.Quality != SourceQuality.Good && DateTime.UtcNow < until);
        Assert.True(reading.Quality == SourceQuality.Good, reading.Problem);
        Assert.Equal(16.7, reading.Value);
        Assert.Equal(SourceConnectionState.Connected, source.State);
        lock (states)
        {
            Assert.Equal(SourceConnectionState.Connecting, states[0].State);
            Assert.Contains(states, s => s.State == SourceConnectionState.Backoff && s.Problem!.Contains("Hello/Acknowledge", StringComparison.Ordinal));
            Assert.Equal(SourceConnectionState.Connected, states[^1].State);
        }
    }
}
