using ThermalPlant.OpcUa.Messages;
using ThermalPlant.OpcUa.SecureChannel;
using ThermalPlant.OpcUa.Server.Sessions;
using ThermalPlant.OpcUa.Server.Subscriptions;
using ThermalPlant.OpcUa.Server.Users;

namespace ThermalPlant.OpcUa.Server;

/// <summary>What a service needs of the channel and the session before it runs.</summary>
internal enum ServiceAccess
{
    /// <summary>No session, on any channel, a discovery-only one included (GetEndpoints, FindServers).</summary>
    Discovery,

    /// <summary>No session yet, on a channel whose policy and mode an endpoint offers (CreateSession).</summary>
    Channel,

    /// <summary>A session that exists, activated or not, which the service finds and checks itself (ActivateSession, CloseSession).</summary>
    Session,

    /// <summary>An activated session bound to the request's channel, which the dispatcher hands to the service.</summary>
    ActivatedSession,
}

/// <summary>
/// One request as the dispatcher hands it to a service, with the session it found for it and <paramref name="Received"/>,
/// the server's clock when the request's chunk was checked (a Read's server timestamps; read once per request).
/// </summary>
internal readonly record struct ServiceCall(IServiceRequest Request, ServerSecureChannel Channel, Session? Session, uint RequestId, IResponder Responder, long MaxResponseBytes, DateTime Received)
{
    /// <summary>The session of a service declared with <see cref="ServiceAccess.ActivatedSession"/>: checked before the service runs.</summary>
    public Session ActivatedSession => Session ?? throw new InvalidOperationException("the service is not declared to need an activated session");
}

/// <summary>Where a service runs: on the connection's read loop, or off it on the thread pool.</summary>
internal enum ServiceRuns
{
    /// <summary>On the read loop, answered before the next request is read: cheap and in memory (Read, Browse, subscriptions).</summary>
    OnReadLoop,

    /// <summary>On the thread pool, answered later: it may block or take long (a history store, host methods, a signature, a password check).</summary>
    InBackground,

    /// <summary>On the thread pool when the request reaches host code that may block (a Write to a variable with a write handler or a history store); on the read loop otherwise.</summary>
    InBackgroundWhenItMayBlock,
}

/// <summary>
/// One row of the dispatcher's service table: the request's encoding id, what the service needs before it runs
/// (<see cref="Access"/>, and <see cref="Permission"/> of the session's role for the whole service), where it runs
/// (<see cref="Runs"/>) and its handler. A handler on the read loop returns null when the answer comes later through
/// the call's responder (Publish); one in the background always answers through the responder.
/// </summary>
/// <remarks>
/// With inline socket completions (the OPC UA server service's default) a read loop runs on the runtime's socket thread,
/// which every connection registered with it shares: anything that blocks there stalls them all. So a service that may
/// wait (for a file, a lock held long, a slot) or compute for milliseconds runs in the background.
/// </remarks>
internal sealed class ServiceEntry
{
    private readonly Func<ServiceDispatcher, IServiceRequest, ServiceCall, IServiceResponse?>? _handle;
    private readonly Func<ServiceDispatcher, IServiceRequest, ServiceCall, Task<IServiceResponse>>? _handleInBackground;
    private readonly Func<ServiceDispatcher, IServiceRequest, bool>? _mayBlock;

    private ServiceEntry(
        uint encodingId,
        Type requestType,
        ServiceAccess access,
        UserPermissions permission,
        ServiceRuns runs,
        Func<ServiceDispatcher, IServiceRequest, ServiceCall, IServiceResponse?>? handle,
        Func<ServiceDispatcher, IServiceRequest, ServiceCall, Task<IServiceResponse>>? handleInBackground,
        Func<ServiceDispatcher, IServiceRequest, bool>? mayBlock,
        bool takesSlot = true)
    {
        // A permission is the role's, so only a service that runs in an activated session can need one.
        if (permission != UserPermissions.None && access != ServiceAccess.ActivatedSession)
        {
            throw new ArgumentException($"{requestType.Name} needs {permission} but no activated session", nameof(permission));
        }
        EncodingId = encodingId;
        RequestType = requestType;
        Name = requestType.Name.Replace("Request", string.Empty, StringComparison.Ordinal);
        Access = access;
        Permission = permission;
        Runs = runs;
        _handle = handle;
        _handleInBackground = handleInBackground;
        _mayBlock = mayBlock;
        TakesSlot = takesSlot;
    }

    /// <summary>The numeric id of the request's DefaultBinary encoding, the table's key.</summary>
    public uint EncodingId { get; }

    /// <summary>The request's type.</summary>
    public Type RequestType { get; }

    /// <summary>The service's name as logs and refusals give it (CreateSubscription, Read ...).</summary>
    public string Name { get; }

    /// <summary>What the service needs of the channel and the session.</summary>
    public ServiceAccess Access { get; }

    /// <summary>The permission the session's role needs for the service as a whole; None when the service checks its operations itself or needs none.</summary>
    public UserPermissions Permission { get; }

    /// <summary>Where the service runs.</summary>
    public ServiceRuns Runs { get; }

    /// <summary>
    /// Whether a request in the background holds one of its connection's slots
    /// (<see cref="OpcUaServerOptions.MaxBackgroundRequestsPerConnection"/>); not for a service bounded otherwise.
    /// </summary>
    public bool TakesSlot { get; }

    /// <summary>The row of a service that runs on the read loop, for requests of type <typeparamref name="TRequest"/>.</summary>
    public static ServiceEntry Of<TRequest>(ServiceAccess access, UserPermissions permission, Func<ServiceDispatcher, TRequest, ServiceCall, IServiceResponse?> handle)
        where TRequest : IServiceRequest, new() =>
        new(new TRequest().EncodingId, typeof(TRequest), access, permission, ServiceRuns.OnReadLoop, (dispatcher, request, call) => handle(dispatcher, (TRequest)request, call), null, null);

    /// <summary>
    /// The row of a service that runs in the background, its answer given when <paramref name="handle"/> completes; in
    /// one of its connection's slots unless <paramref name="takesSlot"/> is false (a service with a bound of its own).
    /// </summary>
    public static ServiceEntry InBackground<TRequest>(ServiceAccess access, UserPermissions permission, Func<ServiceDispatcher, TRequest, ServiceCall, Task<IServiceResponse>> handle, bool takesSlot = true)
        where TRequest : IServiceRequest, new() =>
        new(new TRequest().EncodingId, typeof(TRequest), access, permission, ServiceRuns.InBackground, null, (dispatcher, request, call) => handle(dispatcher, (TRequest)request, call), null, takesSlot);

    /// <summary>The row of a service that runs in the background, synchronously there.</summary>
    public static ServiceEntry InBackground<TRequest>(ServiceAccess access, UserPermissions permission, Func<ServiceDispatcher, TRequest, ServiceCall, IServiceResponse> handle)
        where TRequest : IServiceRequest, new() =>
        InBackground<TRequest>(access, permission, (dispatcher, request, call) => Task.FromResult(handle(dispatcher, request, call)));

    /// <summary>
    /// The row of a service that runs on the read loop unless <paramref name="mayBlock"/> says the request reaches code that
    /// may block, then in the background (the same <paramref name="handle"/>).
    /// </summary>
    public static ServiceEntry InBackgroundWhen<TRequest>(ServiceAccess access, UserPermissions permission, Func<ServiceDispatcher, TRequest, bool> mayBlock, Func<ServiceDispatcher, TRequest, ServiceCall, IServiceResponse> handle)
        where TRequest : IServiceRequest, new() =>
        new(
            new TRequest().EncodingId,
            typeof(TRequest),
            access,
            permission,
            ServiceRuns.InBackgroundWhenItMayBlock,
            (dispatcher, request, call) => handle(dispatcher, (TRequest)request, call),
            (dispatcher, request, call) => Task.FromResult(handle(dispatcher, (TRequest)request, call)),
            (dispatcher, request) => mayBlock(dispatcher, (TRequest)request));

    /// <summary>Whether <paramref name="request"/> is to be served in the background (<see cref="HandleInBackground"/>), not by <see cref="Handle"/>.</summary>
    public bool RunsInBackground(ServiceDispatcher dispatcher, IServiceRequest request) => Runs switch
    {
        ServiceRuns.InBackground => true,
        ServiceRuns.InBackgroundWhenItMayBlock => _mayBlock!(dispatcher, request),
        _ => false,
    };

    /// <summary>Runs the service on the read loop for <paramref name="call"/>, whose channel and session the dispatcher checked as declared.</summary>
    public IServiceResponse? Handle(ServiceDispatcher dispatcher, ServiceCall call) =>
        _handle is { } handle ? handle(dispatcher, call.Request, call) : throw new InvalidOperationException($"{Name} runs in the background only");

    /// <summary>Runs the service in the background for <paramref name="call"/>, whose channel and session the dispatcher checked as declared.</summary>
    public Task<IServiceResponse> HandleInBackground(ServiceDispatcher dispatcher, ServiceCall call) =>
        _handleInBackground is { } handle ? handle(dispatcher, call.Request, call) : throw new InvalidOperationException($"{Name} runs on the read loop only");
}
