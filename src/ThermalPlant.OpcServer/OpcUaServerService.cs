using Microsoft.Extensions.Options;
using Prometheus;
using ThermalPlant.OpcServer.History;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.History;
using ThermalPlant.OpcUa.Transport;

namespace ThermalPlant.OpcServer;

/// <summary>Runs the OPC UA server for the host's lifetime, keeps its history file flushed, and reports its state as metrics.</summary>
internal sealed partial class OpcUaServerService(
    OpcUaServer server,
    HistoryFile historyFile,
    Plant.PlantNodes nodes,
    IOptions<OpcServerOptions> options,
    TimeProvider time,
    ILogger<OpcUaServerService> logger) : BackgroundService
{
    private readonly FileHistoryStore? history = historyFile.Store;
    private readonly FileEventHistoryStore? eventHistory = historyFile.Events;
    private volatile bool _stopped;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        server.AccessDenied += denied => LogAccessDenied(denied.Service, denied.UserName, denied.Role, denied.Status.ToString(), denied.Reason, denied.NodeList);
        server.IdentityChanged += changed => LogIdentityChanged(changed.SessionName, changed.PreviousUserName, changed.PreviousRole, changed.UserName, changed.Role, changed.SubscriptionsDeleted);
        server.ConnectionRefused += refused => LogConnectionRefused(refused.Peer?.ToString(), Label(refused.Kind), refused.Status.ToString(), refused.Reason);
        server.CertificateRejected += rejected => LogCertificateRejected(rejected.Subject, rejected.Thumbprint, rejected.Status.ToString(), rejected.RejectedFile ?? "(not copied)", rejected.Reason);
        server.ServiceFailed += failed => LogServiceFailed(failed.Exception, failed.Service);
        server.SubscriptionFailed += failed => LogSubscriptionFailed(failed.Exception, failed.SubscriptionId);
        server.Start();
        Metrics.DefaultRegistry.AddBeforeCollectCallback(CollectWhileRunning);
        var settings = options.Value;
        LogListening(settings.ListenAddress, server.Port, settings.EndpointPath, history?.Loaded ?? 0, eventHistory?.Loaded ?? 0);
        // Measured, not read from the environment: the runtime took its choice when the first socket was registered.
        if (await SocketCompletions.RunInlineAsync(cancellationToken))
        {
            LogCompletionsInline(SocketCompletions.Variable);
        }
        else
        {
            LogCompletionsOnPool(SocketCompletions.Variable);
        }
        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopped = true;
        await base.StopAsync(cancellationToken);
        await server.DisposeAsync();
        if (history is not null) await history.DisposeAsync();
        if (eventHistory is not null) await eventHistory.DisposeAsync();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (history is null && eventHistory is null) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    if (history is not null) await history.FlushAsync(stoppingToken);
                }
                catch (IOException ex)
                {
                    LogFlushFailed("history", ex.Message);
                }
                try
                {
                    if (eventHistory is not null) await eventHistory.FlushAsync(stoppingToken);
                }
                catch (IOException ex)
                {
                    LogFlushFailed("event history", ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // prometheus-net keeps a before-collect callback for the life of the process: a stopped server (a test process runs
    // several, one after another) must not write its figures over those of the one running now.
    private void CollectWhileRunning()
    {
        if (_stopped) return;
        OpcServerMetrics.Sessions.Set(server.SessionCount);
        OpcServerMetrics.Connections.Set(server.ConnectionCount);
        foreach (var kind in Enum.GetValues<ConnectionRefusal>()) OpcServerMetrics.ConnectionsRefused.WithLabels(Label(kind)).IncTo(server.Refusals(kind));
        OpcServerMetrics.Subscriptions.Set(server.SubscriptionCount);
        OpcServerMetrics.MonitoredItems.Set(server.MonitoredItemCount);
        OpcServerMetrics.Variables.Set(nodes.VariableCount);
        OpcServerMetrics.VariablesBad.Set(nodes.BadCount);
    }

    private static string Label(ConnectionRefusal kind) => kind switch
    {
        ConnectionRefusal.AddressLimit => "address_limit",
        ConnectionRefusal.ServerFull => "server_full",
        ConnectionRefusal.GivenUpForRoom => "given_up_for_room",
        _ => "handshake_timeout",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "OPC UA connection from {Peer} refused or closed ({Limit}): {Status}, {Reason}")]
    private partial void LogConnectionRefused(string? peer, string limit, string status, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OPC UA client certificate {Subject} [{Thumbprint}] refused: {Status}; copied to {RejectedFile} ({Reason}); `thermalplant opcua certificates trust` with the thumbprint lets it in")]
    private partial void LogCertificateRejected(string subject, string thumbprint, string status, string rejectedFile, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "OPC UA {Service} failed unexpectedly; the request was answered BadInternalError and the connection stays")]
    private partial void LogServiceFailed(Exception exception, string service);

    [LoggerMessage(Level = LogLevel.Error, Message = "OPC UA subscription {SubscriptionId} failed unexpectedly in its publishing cycle; it was deleted and its client told BadInternalError, the session stays")]
    private partial void LogSubscriptionFailed(Exception exception, uint subscriptionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "OPC UA server listening on {Address}:{Port}{Path} ({Loaded} history values and {LoadedEvents} events read back)")]
    private partial void LogListening(string address, int port, string path, int loaded, int loadedEvents);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OPC UA {Service} refused for user {UserName} (role {Role}): {Status}, {Reason} [{Nodes}]")]
    private partial void LogAccessDenied(string service, string? userName, string? role, string status, string reason, string nodes);

    [LoggerMessage(Level = LogLevel.Information, Message = "OPC UA session {SessionName} now acts for user {UserName} (role {Role}), before {PreviousUserName} (role {PreviousRole}); {SubscriptionsDeleted} subscriptions deleted that the new role may not have")]
    private partial void LogIdentityChanged(string? sessionName, string? previousUserName, string previousRole, string? userName, string role, int subscriptionsDeleted);

    [LoggerMessage(Level = LogLevel.Information, Message = "Socket completions run inline on the runtime's socket threads (one per core): OPC UA reads are answered there, what may block runs on the thread pool ({Variable}=0 runs them all on the thread pool)")]
    private partial void LogCompletionsInline(string variable);

    [LoggerMessage(Level = LogLevel.Information, Message = "Socket completions run on the thread pool ({Variable} is not 1 in this process): every OPC UA request wakes a pool thread, which costs more CPU per small read")]
    private partial void LogCompletionsOnPool(string variable);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing the {File} file failed ({Reason}); what it keeps stays in memory and writing is tried again")]
    private partial void LogFlushFailed(string file, string reason);
}
