using System.Net;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.History;
using ThermalPlant.OpcUa.Server.Methods;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Server;

/// <summary>
/// Services that may block (a history store, a host method, a write handler) run off the connection's read loop and
/// answer later, so the connection goes on reading and answering; one connection holds at most
/// <see cref="OpcUaServerOptions.MaxBackgroundRequestsPerConnection"/> of them (issue 17). Each blocking part here waits
/// until the test lets it go, as a store waiting for a database or a method waiting for a device would.
/// </summary>
public sealed class BackgroundRequestTests : IAsyncLifetime
{
    private static readonly DateTime T0 = new(2026, 12, 7, 3, 0, 0, DateTimeKind.Utc);

    // Far above what a loaded CI machine takes to answer a Read, far below the parts' own give-up time.
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan HeldAtMost = TimeSpan.FromSeconds(60);

    private static readonly OpcUaClientOptions Patient = new() { RequestTimeout = HeldAtMost };

    private readonly Held _held = new();
    private OpcUaServer _server = null!;
    private NodeId _flow = NodeId.Null;
    private NodeId _setpoint = NodeId.Null;
    private NodeId _pump = NodeId.Null;
    private NodeId _wait = NodeId.Null;

    private string Url => $"opc.tcp://127.0.0.1:{_server.Port}/freeopcua/server/";

    public Task InitializeAsync()
    {
        _server = new OpcUaServer(
            new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1", MaxBackgroundRequestsPerConnection = 2 },
            history: new HeldHistoryStore(_held));
        var space = _server.AddressSpace;
        var ns = space.RegisterNamespace("urn:thermalplant:plant");
        _flow = NodeId.Of("Plant.Flow", ns);
        _setpoint = NodeId.Of("Plant.Setpoint", ns);
        _pump = NodeId.Of("Plant.Pump", ns);
        _wait = NodeId.Of("Plant.Pump.Wait", ns);
        var flow = space.AddVariable(NodeId.Of(ObjectIds.ObjectsFolder), new UaVariable(_flow, new QualifiedName(ns, "Flow"), "Flow", NodeId.Of(DataTypeIds.Double)) { Historizing = true });
        for (var i = 0; i < 5; i++) flow.SetValue(new DataValue { Value = Variant.From((double)i), SourceTimestamp = T0.AddSeconds(i) });
        var setpoint = space.AddVariable(NodeId.Of(ObjectIds.ObjectsFolder), new UaVariable(_setpoint, new QualifiedName(ns, "Setpoint"), "Setpoint", NodeId.Of(DataTypeIds.Double))
        {
            AccessLevel = 0x03,
            WriteHandler = _ => _held.Hold() ? StatusCode.Good : StatusCodes.BadTimeout,
        });
        setpoint.SetValue(new DataValue { Value = Variant.From(1.0) });
        space.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), _pump, new QualifiedName(ns, "Pump"), typeDefinition: ObjectTypeIds.BaseObjectType);
        space.AddMethod(_pump, new UaMethod(_wait, new QualifiedName(ns, "Wait"), "Wait", (_, _) => _held.Hold() ? StatusCode.Good : StatusCodes.BadTimeout) { Permissions = UserPermissions.None });
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _held.Release();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task A_HistoryRead_held_by_its_store_holds_up_no_Read_on_the_same_connection()
    {
        await using var client = await OpcUaClient.ConnectAsync(Url, Patient, sessionName: "background");
        var history = client.HistoryReadRawAsync(_flow, T0, T0.AddSeconds(10));
        await _held.EnteredAsync(1);

        var read = await client.ReadValueAsync(_flow).WaitAsync(Answer);

        Assert.True(read.Status.IsGood, read.Status.ToString());
        Assert.False(history.IsCompleted, "the HistoryRead was answered while its store still held it");
        _held.Release();
        Assert.Equal([0.0, 1.0, 2.0, 3.0, 4.0], (await history.WaitAsync(Answer)).Select(v => v.Value.TryGetDouble(out var d) ? d : double.NaN));
    }

    [Fact]
    public async Task A_method_call_held_by_the_host_holds_up_no_Read_on_the_same_connection()
    {
        await using var client = await OpcUaClient.ConnectAsync(Url, Patient, sessionName: "background");
        var call = client.CallMethodAsync(_pump, _wait, []);
        await _held.EnteredAsync(1);

        var read = await client.ReadValueAsync(_flow).WaitAsync(Answer);

        Assert.True(read.Status.IsGood, read.Status.ToString());
        Assert.False(call.IsCompleted, "the Call was answered while the method still held it");
        _held.Release();
        Assert.True((await call.WaitAsync(Answer)).StatusCode.IsGood);
    }

    [Fact]
    public async Task A_Write_held_by_a_write_handler_holds_up_no_Read_on_the_same_connection()
    {
        await using var client = await OpcUaClient.ConnectAsync(Url, Patient, sessionName: "background");
        var write = client.WriteValueAsync(_setpoint, Variant.From(2.0));
        await _held.EnteredAsync(1);

        var read = await client.ReadValueAsync(_setpoint).WaitAsync(Answer);

        Assert.Equal(1.0, read.Value.Value);
        Assert.False(write.IsCompleted, "the Write was answered while its handler still held it");
        _held.Release();
        Assert.True((await write.WaitAsync(Answer)).IsGood);
        Assert.Equal(2.0, (await client.ReadValueAsync(_setpoint)).Value.Value);
    }

    [Fact]
    public async Task A_connection_runs_at_most_its_limit_of_requests_in_the_background_and_is_told_BadServerTooBusy_beyond_it()
    {
        await using var first = await OpcUaClient.ConnectAsync(Url, Patient, sessionName: "background");
        await using var second = await OpcUaClient.ConnectAsync(Url, Patient, sessionName: "background");
        Task<CallMethodResult>[] held = [first.CallMethodAsync(_pump, _wait, []), first.CallMethodAsync(_pump, _wait, [])];
        await _held.EnteredAsync(2);

        // The limit is the connection's (2 here): a third is refused at once, while another connection still has its own.
        var refused = await Assert.ThrowsAsync<OpcUaException>(() => first.CallMethodAsync(_pump, _wait, []).WaitAsync(Answer));
        Assert.Equal(StatusCodes.BadServerTooBusy, refused.Status.Code);
        var other = second.CallMethodAsync(_pump, _wait, []);
        await _held.EnteredAsync(3);
        Assert.All(held, call => Assert.False(call.IsCompleted));

        _held.Release();
        foreach (var call in held) Assert.True((await call.WaitAsync(Answer)).StatusCode.IsGood);
        Assert.True((await other.WaitAsync(Answer)).StatusCode.IsGood);
        // Answered requests give their slots back.
        Assert.True((await first.CallMethodAsync(_pump, _wait, []).WaitAsync(Answer)).StatusCode.IsGood);
        Assert.Equal(4, _held.Entered);
    }

    /// <summary>What the blocking parts wait on: each holds its thread until <see cref="Release"/> (or gives up after a minute).</summary>
    private sealed class Held
    {
        private readonly ManualResetEventSlim _released = new();
        private int _entered;

        public int Entered => Volatile.Read(ref _entered);

        /// <summary>Blocks the calling thread until released; false when it gave up.</summary>
        public bool Hold()
        {
            Interlocked.Increment(ref _entered);
            return _released.Wait(HeldAtMost);
        }

        public void Release() => _released.Set();

        public async Task EnteredAsync(int count)
        {
            var deadline = DateTime.UtcNow + Answer;
            while (Entered < count)
            {
                Assert.True(DateTime.UtcNow < deadline, $"{Entered} of {count} requests reached the blocking part within {Answer.TotalSeconds} s");
                await Task.Delay(20);
            }
        }
    }

    /// <summary>An in-memory history whose reads wait as a store on a slow database would.</summary>
    private sealed class HeldHistoryStore(Held held) : IHistoryStore
    {
        private readonly MemoryHistoryStore _memory = new(100, TimeSpan.FromDays(3650));

        public void Append(NodeId node, DataValue value) => _memory.Append(node, value);

        public bool ReadRaw(NodeId node, DateTime from, DateTime to, int skip, int max, List<DataValue> into) =>
            held.Hold() && _memory.ReadRaw(node, from, to, skip, max, into);

        public DataValue? AtOrBefore(NodeId node, DateTime time) => _memory.AtOrBefore(node, time);

        public DataValue? AtOrAfter(NodeId node, DateTime time) => _memory.AtOrAfter(node, time);
    }
}
