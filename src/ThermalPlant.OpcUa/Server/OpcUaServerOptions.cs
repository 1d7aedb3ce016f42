using System.Net;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.SecureChannel;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Transport;

namespace ThermalPlant.OpcUa.Server;

/// <summary>What an OPC UA server offers and how much it accepts.</summary>
public sealed record OpcUaServerOptions
{
    /// <summary>Address listened on.</summary>
    public IPAddress Address { get; init; } = IPAddress.Any;

    /// <summary>TCP port; 0 picks a free one.</summary>
    public int Port { get; init; } = 4840;

    /// <summary>Path of the endpoint URL, e.g. <c>/freeopcua/server/</c> as the seed's server used.</summary>
    public string EndpointPath { get; init; } = "/freeopcua/server/";

    /// <summary>The host name put in endpoint URLs when the client's URL cannot be used.</summary>
    public string HostName { get; init; } = Dns.GetHostName();

    /// <summary>Globally unique URI of this application instance.</summary>
    public string ApplicationUri { get; init; } = "urn:thermalplant:opcserver";

    /// <summary>URI of the product.</summary>
    public string ProductUri { get; init; } = "urn:thermalplant";

    /// <summary>Human name of the application.</summary>
    public string ApplicationName { get; init; } = "Thermal Plant OPC UA Server";

    /// <summary>
    /// The security policies and modes offered, one endpoint each. None is offered only when listed; a channel with
    /// policy None is still accepted for discovery (GetEndpoints, FindServers) but not for sessions.
    /// </summary>
    public IReadOnlyList<EndpointSecurity> Security { get; init; } = [EndpointSecurity.None];

    /// <summary>
    /// The application instance certificate with its private key: sent to clients in endpoints and CreateSession, and
    /// used to decrypt user passwords and to check user certificate signatures. When null and a certificate is
    /// needed, the newest valid one in <see cref="CertificateStorePath"/> is used, or a self-signed one is created
    /// there on first start.
    /// </summary>
    public X509Certificate2? ApplicationCertificate { get; init; }

    /// <summary>
    /// The certificate store folder (own, trusted, issuers, rejected); needed when a secured endpoint is offered, since
    /// client certificates are trusted by it.
    /// </summary>
    public string? CertificateStorePath { get; init; }

    /// <summary>
    /// Accept client certificates that no trusted certificate vouches for (every other check still applies: a complete
    /// chain, the policy's key and hash, validity, key usage). For development and benchmarks only: it lets any client
    /// with a well-formed certificate in.
    /// </summary>
    public bool AutoAcceptUntrustedCertificates { get; init; }

    /// <summary>Lifetime of a certificate created on first start.</summary>
    public TimeSpan CertificateLifetime { get; init; } = TimeSpan.FromDays(5 * 365);

    /// <summary>
    /// Who may log in and what each role may do; null turns access control off (anonymous sessions only, allowed
    /// everything), as an embedded or test server needs. A server with users needs <see cref="ApplicationCertificate"/>.
    /// </summary>
    public UserAuthenticationOptions? Users { get; init; }

    /// <summary>Limits offered to clients in Acknowledge.</summary>
    public TransportLimits Transport { get; init; } = TransportLimits.Default;

    /// <summary>Token lifetimes of secure channels.</summary>
    public SecureChannelOptions SecureChannel { get; init; } = SecureChannelOptions.Default;

    /// <summary>
    /// Connections served at once. A newcomer beyond it takes the place of the oldest connection that has not activated
    /// a session (which is sent BadTcpServerTooBusy); when every connection has an activated session, the newcomer is
    /// refused with BadTcpServerTooBusy.
    /// </summary>
    public int MaxConnections { get; init; } = 100;

    /// <summary>Connections one peer address may hold at once; more from it are refused with BadTcpServerTooBusy.</summary>
    public int MaxConnectionsPerAddress { get; init; } = 20;

    /// <summary>Sessions at once; more are refused with BadTooManySessions.</summary>
    public int MaxSessions { get; init; } = 100;

    /// <summary>Shortest session timeout granted.</summary>
    public TimeSpan MinSessionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest session timeout granted.</summary>
    public TimeSpan MaxSessionTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Most operations in one Read, Write, Browse, BrowseNext, TranslateBrowsePathsToNodeIds, RegisterNodes or
    /// HistoryRead; more answer BadTooManyOperations. Shown as the OperationLimits MaxNodesPer* variables.
    /// </summary>
    public int MaxNodesPerOperation { get; init; } = 10_000;

    /// <summary>Most items in one CreateMonitoredItems, ModifyMonitoredItems, DeleteMonitoredItems, SetMonitoringMode or SetTriggering; more answer BadTooManyOperations.</summary>
    public int MaxMonitoredItemsPerCall { get; init; } = 10_000;

    /// <summary>References of one node returned at once when the client asks for all (0) or more; the rest follow through BrowseNext.</summary>
    public int MaxReferencesPerNode { get; init; } = 1_000;

    /// <summary>Subscriptions of all sessions together; more are refused with BadTooManySubscriptions.</summary>
    public int MaxSubscriptions { get; init; } = 1_000;

    /// <summary>Monitored items of all subscriptions together; a CreateMonitoredItems that would pass it is refused with BadTooManyMonitoredItems.</summary>
    public int MaxMonitoredItems { get; init; } = 200_000;

    /// <summary>
    /// Continuation points kept per session, for Browse and for HistoryRead each. A Browse beyond it answers
    /// BadNoContinuationPoints; a HistoryRead releases the oldest history point of an earlier request to make room.
    /// </summary>
    public int MaxContinuationPoints { get; init; } = 10;

    /// <summary>
    /// Most values of one node in one HistoryRead response, also when the client asks for all (NumValuesPerNode 0); the
    /// rest follows through a continuation point.
    /// </summary>
    public int MaxHistoryValuesPerNode { get; init; } = 1_000;

    /// <summary>
    /// Most values in one HistoryRead response over all its nodes (each response is also kept within the message size
    /// the client accepts); nodes past it get a continuation point to come back with.
    /// </summary>
    public int MaxHistoryValuesPerResponse { get; init; } = 100_000;

    /// <summary>Subscriptions one session may have; more are refused with BadTooManySubscriptions.</summary>
    public int MaxSubscriptionsPerSession { get; init; } = 100;

    /// <summary>Monitored items one subscription may have; more are refused with BadTooManyMonitoredItems.</summary>
    public int MaxMonitoredItemsPerSubscription { get; init; } = 100_000;

    /// <summary>Publish requests a session may park; beyond it the oldest is answered with BadTooManyPublishRequests.</summary>
    public int MaxPublishRequestsPerSession { get; init; } = 20;

    /// <summary>
    /// Requests of one connection that may run off its read loop at once: those that may block or take long
    /// (HistoryRead, Call, CreateSession, and a Write to a variable with a write handler or a history store) run on the
    /// thread pool and answer when done, so that the connection's read loop, and with inline socket completions every
    /// connection sharing its socket thread, goes on. One more answers a ServiceFault BadServerTooBusy. ActivateSession
    /// also runs there but takes no slot: the password-check gate (<see cref="Users.UserAuthenticationOptions.MaxQueuedPasswordChecks"/>) bounds it.
    /// </summary>
    public int MaxBackgroundRequestsPerConnection { get; init; } = 8;

    /// <summary>Fastest publishing interval granted.</summary>
    public TimeSpan MinPublishingInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Slowest publishing interval granted.</summary>
    public TimeSpan MaxPublishingInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Longest queue of a monitored item.</summary>
    public uint MaxQueueSize { get; init; } = 10_000;

    /// <summary>Sent notification messages kept per subscription for Republish until acknowledged.</summary>
    public int MaxRetransmissionQueue { get; init; } = 100;

    /// <summary>Most notifications in one Publish response; the rest follow with MoreNotifications.</summary>
    public int MaxNotificationsPerPublish { get; init; } = 10_000;

    /// <summary>
    /// Time for each step of the handshake to arrive after the one before (Hello after connecting, OpenSecureChannel
    /// after Acknowledge, CreateSession, ActivateSession); a connection whose next step is late is closed with BadTimeout.
    /// </summary>
    public TimeSpan HandshakeStepTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Time from connecting to an activated session; a connection without one by then is closed with BadTimeout (one
    /// used only for discovery reconnects). The time the server itself takes to check an ActivateSession is not counted.
    /// </summary>
    public TimeSpan SessionActivationTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
