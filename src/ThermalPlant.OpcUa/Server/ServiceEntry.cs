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

/// <summary>One request as the dispatcher hands it to a service, with the session it found for it.</summary>
internal readonly record struct ServiceCall(IServiceRequest Request, ServerSecureChannel Channel, Session? Session, uint RequestId, IResponder Responder, long MaxResponseBytes)
{
    /// <summary>The session of a service declared with <see cref="ServiceAccess.ActivatedSession"/>: checked before the service runs.</summary>
    public Session ActivatedSession => Session ?? throw new InvalidOperationException("the service is not declared to need an activated session");
}

/// <summary>
/// One row of the dispatcher's service table: the request's encoding id, what the service needs before it runs
/// (<see cref="Access"/>, and <see cref="Permission"/> of the session's role for the whole service), and its handler,
/// which returns null when the answer comes later through the call's responder.
/// </summary>
internal sealed class ServiceEntry
{
    private readonly Func<ServiceDispatcher, IServiceRequest, ServiceCall, IServiceResponse?> _handle;

    private ServiceEntry(uint encodingId, Type requestType, ServiceAccess access, UserPermissions permission, Func<ServiceDispatcher, IServiceRequest, ServiceCall, IServiceResponse?> handle)
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
        _handle = handle;
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

    /// <summary>The row for requests of type <typeparamref name="TRequest"/>.</summary>
    public static ServiceEntry Of<TRequest>(ServiceAccess access, UserPermissions permission, Func<ServiceDispatcher, TRequest, ServiceCall, IServiceResponse?> handle)
        where TRequest : IServiceRequest, new() =>
        new(new TRequest().EncodingId, typeof(TRequest), access, permission, (dispatcher, request, call) => handle(dispatcher, (TRequest)request, call));

    /// <summary>Runs the service for <paramref name="call"/>, whose channel and session the dispatcher checked as declared.</summary>
    public IServiceResponse? Handle(ServiceDispatcher dispatcher, ServiceCall call) => _handle(dispatcher, call.Request, call);
}
