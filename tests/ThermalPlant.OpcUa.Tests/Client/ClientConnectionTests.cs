using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Testing;

namespace ThermalPlant.OpcUa.Tests.Client;

/// <summary>Endpoint selection, keep-alive and reconnection of our client, with the network cut by a relay.</summary>
public sealed class ClientConnectionTests : IAsyncLifetime
{
    private static readonly OpcUaClientOptions FastOptions = new()
    {
        RequestTimeout = TimeSpan.FromSeconds(2),
        KeepAliveInterval = TimeSpan.FromMilliseconds(200),
        ReconnectMinDelay = TimeSpan.FromMilliseconds(100),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(400),
    };

    private OpcUaServer _server = null!;
    private TcpRelay _relay = null!;
    private int _serverPort;

    private string RelayUrl => $"opc.tcp://127.0.0.1:{_relay.Port}/freeopcua/server/";

    public Task InitializeAsync()
    {
        _server = StartServer(0, 21.5);
        _serverPort = _server.Port;
        _relay = new TcpRelay(_serverPort);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _relay.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Connect_selects_the_none_endpoint_and_keeps_the_address_it_was_given()
    {
        await using var client = await OpcUaClient.ConnectAsync(RelayUrl, FastOptions);
        Assert.Equal(MessageSecurityMode.None, client.Endpoint.SecurityMode);
        Assert.Equal("http://opcfoundation.org/UA/SecurityPolicy#None", client.Endpoint.SecurityPolicyUri);
        // The server reports its own port with the host we asked for; we keep talking to the address we were given.
        Assert.Equal($"opc.tcp://127.0.0.1:{_serverPort}/freeopcua/server/", client.Endpoint.EndpointUrl);
        Assert.Equal(RelayUrl, client.EndpointUrl);
    }

    [Fact]
    public async Task A_cut_connection_is_reopened_and_the_same_session_reactivated()
    {
        await using var client = await OpcUaClient.ConnectAsync(RelayUrl, FastOptions);
        await client.OpenSessionAsync("reconnect");
        var sessionId = client.SessionId;
        var lost = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reconnected = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ConnectionLost += ex => lost.TrySetResult(ex);
        client.Reconnected += recreated => reconnected.TrySetResult(recreated);

        _relay.Cut();

        await lost.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(await reconnected.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(sessionId, client.SessionId);
        Assert.Equal(1, _server.SessionCount);
        Assert.Equal(21.5, (await client.ReadValueAsync(TemperatureNode)).Value!.Value);
    }

    [Fact]
    public async Task A_restarted_server_gets_a_new_session_and_requests_made_during_the_outage_complete()
    {
        await using var client = await OpcUaClient.ConnectAsync(RelayUrl, FastOptions);
        await client.OpenSessionAsync("restart");
        var firstSession = client.SessionId;
        var lost = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reconnected = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ConnectionLost += ex => lost.TrySetResult(ex);
        client.Reconnected += recreated => reconnected.TrySetResult(recreated);

        await _server.DisposeAsync();
        _relay.Cut();
        // Waits for the client to notice (a fixed 300 ms was too short on a loaded machine); the relay leads nowhere now.
        await lost.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(client.IsConnected);
        var pending = client.ReadValueAsync(TemperatureNode);
        _server = StartServer(0, 30.0);
        _relay.TargetPort = _server.Port;

        Assert.True(await reconnected.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.NotEqual(firstSession, client.SessionId);
        Assert.Equal(30.0, (await pending.WaitAsync(TimeSpan.FromSeconds(5))).Value!.Value);
    }

    [Fact]
    public async Task Keep_alive_notices_a_peer_that_stopped_answering()
    {
        // The keep-alive's request timeout is FastOptions' 2 s: with 500 ms a loaded machine's pause alone could time out
        // a keep-alive or the read after the reconnect.
        await using var client = await OpcUaClient.ConnectAsync(RelayUrl, FastOptions);
        await client.OpenSessionAsync("frozen");
        var lost = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reconnected = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ConnectionLost += ex => lost.TrySetResult(ex);
        client.Reconnected += recreated => reconnected.TrySetResult(recreated);

        _relay.Freeze();
        var error = Assert.IsType<OpcUaException>(await lost.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(StatusCodes.BadTimeout, error.Status.Code);
        _relay.Cut();
        _relay.Restore();

        Assert.False(await reconnected.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(21.5, (await client.ReadValueAsync(TemperatureNode)).Value!.Value);
    }

    [Fact]
    public async Task Requests_wait_at_most_the_request_timeout_for_a_server_that_stays_away()
    {
        var requestTimeout = TimeSpan.FromMilliseconds(500);
        await using var client = await OpcUaClient.ConnectAsync(RelayUrl, FastOptions with { RequestTimeout = requestTimeout });
        await client.OpenSessionAsync("away");
        var waits = new ConcurrentQueue<TimeSpan>();
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ReconnectFailed += (_, wait) =>
        {
            waits.Enqueue(wait);
            failed.TrySetResult();
        };

        _relay.Cut(refuseNew: true);
        // The client is reconnecting once an attempt has failed (a fixed 200 ms raced the client's noticing the cut).
        await failed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<OpcUaException>(() => client.ReadValueAsync(TemperatureNode).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(StatusCodes.BadNotConnected, error.Status.Code);
        // It waited for the connection before giving up (the upper bound is the 30 s above: real time has no tight one).
        Assert.True(watch.Elapsed >= requestTimeout - TimeSpan.FromMilliseconds(50), $"gave up after {watch.Elapsed}");
        // Backoff from 100 to 400 ms with 20 % jitter either way.
        Assert.All(waits, wait => Assert.InRange(wait, TimeSpan.FromMilliseconds(80), TimeSpan.FromMilliseconds(480)));
    }

    [Fact]
    public async Task Without_reconnection_a_lost_connection_fails_requests()
    {
        await using var client = await OpcUaClient.ConnectAsync(RelayUrl, FastOptions with { Reconnect = false });
        await client.OpenSessionAsync("once");
        var lost = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ConnectionLost += ex => lost.TrySetResult(ex);

        _relay.Cut();

        await lost.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var error = await Assert.ThrowsAsync<OpcUaException>(() => client.ReadValueAsync(TemperatureNode));
        Assert.Equal(StatusCodes.BadConnectionClosed, error.Status.Code);
    }

    [Fact]
    public async Task An_idle_session_outlives_its_timeout_thanks_to_keep_alive()
    {
        // Idle for twice the session timeout (3 s, more than the keep-alive's 2 s request timeout, so a stall a keep-alive
        // survives cannot expire the session).
        await using var client = await OpcUaClient.ConnectAsync(RelayUrl, FastOptions with { SessionTimeout = TimeSpan.FromSeconds(3) });
        await client.OpenSessionAsync("idle");
        var session = client.SessionId;
        var lost = 0;
        client.ConnectionLost += _ => Interlocked.Increment(ref lost);
        await Task.Delay(TimeSpan.FromSeconds(6));
        Assert.Equal(21.5, (await client.ReadValueAsync(TemperatureNode)).Value!.Value);
        Assert.Equal(session, client.SessionId);
        Assert.Equal(0, lost);
    }

    private static readonly NodeId TemperatureNode = NodeId.Of("Plant.Temperature", 2);

    private static OpcUaServer StartServer(int port, double temperature)
    {
        var server = new OpcUaServer(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = port, HostName = "127.0.0.1", MinSessionTimeout = TimeSpan.FromSeconds(1) });
        var ns = server.AddressSpace.RegisterNamespace("urn:thermalplant:plant");
        Assert.Equal(2, ns);
        server.AddressSpace.AddVariable(NodeId.Of(ObjectIds.ObjectsFolder), new UaVariable(NodeId.Of("Plant.Temperature", ns), new QualifiedName(ns, "Temperature"), "Temperature", NodeId.Of(DataTypeIds.Double)))
            .SetValue(new DataValue { Value = Variant.From(temperature) });
        server.Start();
        return server;
    }
}
