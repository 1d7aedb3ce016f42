using System.Net;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;
using StatusCodes = ThermalPlant.OpcUa.Generated.StatusCodes;

namespace ThermalPlant.Electrolyzer.Simulation;

/// <summary>
/// A simulated methanation unit's PLC: an OPC UA server publishing the hydrogen flow it requests
/// (<c>Methanation/H2FlowRequest</c>, NL/min, writable so an operator or a test can change the demand), with the
/// users and roles of its configuration.
/// </summary>
public sealed class MethanationUnit : IAsyncDisposable
{
    /// <summary>The namespace URI of the unit's nodes (index 2 on the server).</summary>
    public const string NamespaceUri = "urn:thermalplant:methanation";

    /// <summary>The requested flow's NodeId in text form.</summary>
    public const string RequestNodeId = "ns=2;s=Methanation.H2FlowRequest";

    private readonly OpcUaServer _server;
    private readonly UaVariable _request;
    private readonly TimeProvider _time;
    private readonly string _hostName;
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2? _certificate;

    /// <summary>Creates the server and its nodes; <see cref="Start"/> opens the port.</summary>
    public MethanationUnit(MethanationOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _time = time;
        _hostName = options.HostName;
        var serverOptions = options.ApplySecurity(new OpcUaServerOptions
        {
            Address = IPAddress.Parse(options.Address),
            Port = options.Port,
            HostName = options.HostName,
            EndpointPath = "/",
            ApplicationUri = "urn:thermalplant:methanation:plc",
            ApplicationName = "Simulated methanation unit",
        });
        // A certificate loaded from PEM files is ours to dispose; the server does not own its options.
        _certificate = serverOptions.ApplicationCertificate;
        _server = new OpcUaServer(serverOptions, time);
        var ns = _server.AddressSpace.RegisterNamespace(NamespaceUri);
        _server.AddressSpace.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), NodeId.Of("Methanation", ns), new QualifiedName(ns, "Methanation"));
        _request = _server.AddressSpace.AddVariable(
            NodeId.Of("Methanation", ns),
            new UaVariable(NodeId.Of("Methanation.H2FlowRequest", ns), new QualifiedName(ns, "H2FlowRequest"), "Requested H2 flow (NL/min)", NodeId.Of(DataTypeIds.Double))
            {
                AccessLevel = 0x03,
                WriteHandler = value => value.Value.TryGetDouble(out var d) && double.IsFinite(d) && d >= 0 ? StatusCodes.Good : StatusCodes.BadOutOfRange,
            });
        SetRequest(options.InitialRequest);
    }

    /// <summary>Raised when a login or a request is refused, with the reason.</summary>
    public event Action<AccessDenied>? AccessDenied
    {
        add => _server.AccessDenied += value;
        remove => _server.AccessDenied -= value;
    }

    /// <summary>The port listened on.</summary>
    public int Port => _server.Port;

    /// <summary>The endpoint URL clients connect to.</summary>
    public string EndpointUrl => $"opc.tcp://{_hostName}:{Port}/";

    /// <summary>The requested flow as published now, NL/min (null while it is not a Good number).</summary>
    public double? Request => _request.Value is { Status.IsGood: true, Value.Value: double d } ? d : null;

    /// <summary>Opens the port.</summary>
    public void Start() => _server.Start();

    /// <summary>Publishes a new requested flow, NL/min.</summary>
    public void SetRequest(double flow)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        _request.SetValue(new DataValue { Value = Variant.From(flow), Status = StatusCode.Good, SourceTimestamp = now, ServerTimestamp = now });
    }

    /// <summary>Publishes the request with a Bad status, as a PLC does when its own measurement fails.</summary>
    public void SetBad(StatusCode status)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        _request.SetValue(new DataValue { Status = status, SourceTimestamp = now, ServerTimestamp = now });
    }

    /// <summary>Stops the server: clients lose their connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _certificate?.Dispose();
    }
}
