using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Methods;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Testing;

namespace ThermalPlant.OpcUa.Tests.Methods;

/// <summary>The Call service of our server through our client: argument checks, method lookup and roles; a refused call changes nothing.</summary>
public sealed class MethodCallTests : IAsyncLifetime
{
    private static readonly X509Certificate2 ServerCertificate = TestCertificates.Create("server", "urn:thermalplant:opcserver");
    private static readonly string OperatorHash = PasswordHash.Create("op-pass", PasswordHash.MinIterations);
    private static readonly string ObserverHash = PasswordHash.Create("obs-pass", PasswordHash.MinIterations);

    private static readonly OpcUaClientOptions FastOptions = new()
    {
        RequestTimeout = TimeSpan.FromSeconds(5),
        KeepAliveInterval = TimeSpan.FromMilliseconds(300),
        ReconnectMinDelay = TimeSpan.FromMilliseconds(100),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(400),
    };

    private readonly ConcurrentQueue<AccessDenied> _denied = new();
    private OpcUaServer _server = null!;
    private NodeId _pump = NodeId.Null;
    private NodeId _valve = NodeId.Null;
    private NodeId _setSpeed = NodeId.Null;
    private NodeId _speed = NodeId.Null;
    private int _calls;

    private string Url => $"opc.tcp://127.0.0.1:{_server.Port}/freeopcua/server/";

    public Task InitializeAsync()
    {
        _server = new OpcUaServer(new OpcUaServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            HostName = "127.0.0.1",
            ApplicationCertificate = ServerCertificate,
            Users = new UserAuthenticationOptions
            {
                Users =
                [
                    new UserAccount { Name = "operator", Role = "Operator", PasswordHash = OperatorHash },
                    new UserAccount { Name = "observer", Role = "Observer", PasswordHash = ObserverHash },
                ],
            },
        });
        _server.AccessDenied += _denied.Enqueue;
        var space = _server.AddressSpace;
        var ns = space.RegisterNamespace("urn:thermalplant:plant");
        _pump = NodeId.Of("Plant.Pump", ns);
        _valve = NodeId.Of("Plant.Valve", ns);
        _speed = NodeId.Of("Plant.Pump.Speed", ns);
        _setSpeed = NodeId.Of("Plant.Pump.SetSpeed", ns);
        space.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), _pump, new QualifiedName(ns, "Pump"), typeDefinition: ObjectTypeIds.BaseObjectType);
        space.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), _valve, new QualifiedName(ns, "Valve"), typeDefinition: ObjectTypeIds.BaseObjectType);
        var speed = space.AddVariable(_pump, new UaVariable(_speed, new QualifiedName(ns, "Speed"), "Speed", NodeId.Of(DataTypeIds.Double)));
        speed.SetValue(new DataValue { Value = Variant.From(0.0) });
        space.AddMethod(_pump, new UaMethod(_setSpeed, new QualifiedName(ns, "SetSpeed"), "SetSpeed", (call, outputs) =>
        {
            Interlocked.Increment(ref _calls);
            call.Inputs[0].TryGetDouble(out var rpm);
            if (rpm < 0) return call.RejectArgument(0, StatusCodes.BadOutOfRange);
            var previous = speed.Value.Value;
            speed.SetValue(new DataValue { Value = Variant.From(rpm) });
            outputs[0] = previous;
            return StatusCode.Good;
        })
        {
            InputArguments = [UaMethod.Argument("Rpm", DataTypeIds.Double, "the new speed"), UaMethod.Argument("Reason", DataTypeIds.String, "why")],
            OutputArguments = [UaMethod.Argument("Previous", DataTypeIds.Double, "the speed before")],
        });
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task An_operator_calls_a_method_with_its_arguments_and_gets_its_outputs()
    {
        await using var client = await Connect("operator", "op-pass");

        var result = await client.CallMethodAsync(_pump, _setSpeed, [Variant.From(1500.0), Variant.From("start-up")]);

        Assert.Equal(StatusCode.Good, result.StatusCode);
        Assert.Equal([Variant.From(0.0)], result.OutputArguments!);
        Assert.Equal(1500.0, (double)(await client.ReadValueAsync(_speed)).Value.Value!);
        Assert.Equal(Variant.From(true), (await client.ReadAsync([new ReadValueId { NodeId = _setSpeed, AttributeId = (uint)AttributeId.UserExecutable }]))[0].Value);
    }

    [Fact]
    public async Task Wrong_counts_types_and_values_of_arguments_each_answer_their_status_and_run_nothing()
    {
        await using var client = await Connect("operator", "op-pass");

        Assert.Equal(StatusCodes.BadArgumentsMissing, (await client.CallMethodAsync(_pump, _setSpeed, [Variant.From(1.0)])).StatusCode.Code);
        Assert.Equal(StatusCodes.BadTooManyArguments, (await client.CallMethodAsync(_pump, _setSpeed, [Variant.From(1.0), Variant.From("x"), Variant.From(3)])).StatusCode.Code);
        var mistyped = await client.CallMethodAsync(_pump, _setSpeed, [Variant.From("fast"), Variant.From("x")]);
        Assert.Equal(StatusCodes.BadInvalidArgument, mistyped.StatusCode.Code);
        Assert.Equal([StatusCodes.BadTypeMismatch, StatusCode.Good.Code], mistyped.InputArgumentResults!.Select(s => s.Code));
        var array = await client.CallMethodAsync(_pump, _setSpeed, [Variant.From(new[] { 1.0, 2.0 }), Variant.From("x")]);
        Assert.Equal([StatusCodes.BadTypeMismatch, StatusCode.Good.Code], array.InputArgumentResults!.Select(s => s.Code));
        Assert.Equal(0, _calls);

        var negative = await client.CallMethodAsync(_pump, _setSpeed, [Variant.From(-5.0), Variant.From("x")]);
        Assert.Equal(StatusCodes.BadInvalidArgument, negative.StatusCode.Code);
        Assert.Equal([StatusCodes.BadOutOfRange, StatusCode.Good.Code], negative.InputArgumentResults!.Select(s => s.Code));
        Assert.Empty(negative.OutputArguments!);
        Assert.Equal(0.0, (double)(await client.ReadValueAsync(_speed)).Value.Value!);
    }

    [Fact]
    public async Task A_method_on_the_wrong_object_an_unknown_object_or_a_node_that_is_no_method_is_refused()
    {
        await using var client = await Connect("operator", "op-pass");
        Variant[] inputs = [Variant.From(10.0), Variant.From("x")];

        Assert.Equal(StatusCodes.BadMethodInvalid, (await client.CallMethodAsync(_valve, _setSpeed, inputs)).StatusCode.Code);
        Assert.Equal(StatusCodes.BadNodeIdUnknown, (await client.CallMethodAsync(NodeId.Of("Plant.Nowhere", 2), _setSpeed, inputs)).StatusCode.Code);
        Assert.Equal(StatusCodes.BadMethodInvalid, (await client.CallMethodAsync(_pump, _speed, inputs)).StatusCode.Code);
        Assert.Equal(StatusCodes.BadNodeIdInvalid, (await client.CallMethodAsync(_speed, _setSpeed, inputs)).StatusCode.Code);
        Assert.Equal(0, _calls);
    }

    [Fact]
    public async Task An_observer_is_refused_with_BadUserAccessDenied_and_the_refusal_is_reported()
    {
        await using var client = await Connect("observer", "obs-pass");

        var result = await client.CallMethodAsync(_pump, _setSpeed, [Variant.From(10.0), Variant.From("x")]);

        Assert.Equal(StatusCodes.BadUserAccessDenied, result.StatusCode.Code);
        Assert.Equal(0, _calls);
        Assert.Equal(Variant.From(false), (await client.ReadAsync([new ReadValueId { NodeId = _setSpeed, AttributeId = (uint)AttributeId.UserExecutable }]))[0].Value);
        var denied = Assert.Single(_denied);
        Assert.Equal("Call", denied.Service);
        Assert.Equal([_setSpeed], denied.Nodes);
        Assert.Contains("lacks the Write permission", denied.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_arguments_are_described_in_the_InputArguments_and_OutputArguments_properties()
    {
        await using var client = await Connect("observer", "obs-pass");

        var input = await client.TranslateAsync(_setSpeed, [new QualifiedName(0, "InputArguments")]);
        var value = (await client.ReadValueAsync(input)).Value;

        var arguments = ((ExtensionObject[])value.Value!).Select(e => (Argument)e.Decode()!).ToArray();
        Assert.Equal(["Rpm", "Reason"], arguments.Select(a => a.Name));
        Assert.Equal([NodeId.Of(DataTypeIds.Double), NodeId.Of(DataTypeIds.String)], arguments.Select(a => a.DataType));
        Assert.NotEqual(NodeId.Null, await client.TranslateAsync(_setSpeed, [new QualifiedName(0, "OutputArguments")]));
    }

    private async Task<OpcUaClient> Connect(string user, string password)
    {
        var client = await OpcUaClient.ConnectAsync(Url, FastOptions with { Credentials = UserCredentials.FromUserName(user, password) });
        try
        {
            await client.OpenSessionAsync("methods");
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }
}
