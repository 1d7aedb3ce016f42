namespace ThermalPlant.OpcUa.Server;

/// <summary>
/// A server's resource limits as configuration writes them (a host's <c>Limits</c> section, e.g.
/// <c>OpcServer:Limits:MaxConnectionsPerAddress</c>); each key is the <see cref="OpcUaServerOptions"/> property of the
/// same name, with its default. <see cref="Apply"/> puts them into the options, <see cref="Validate"/> checks them at start.
/// </summary>
public sealed class ServerLimitsSettings
{
    private static readonly OpcUaServerOptions Defaults = new();

    /// <inheritdoc cref="OpcUaServerOptions.MaxConnections"/>
    public int MaxConnections { get; set; } = Defaults.MaxConnections;

    /// <inheritdoc cref="OpcUaServerOptions.MaxConnectionsPerAddress"/>
    public int MaxConnectionsPerAddress { get; set; } = Defaults.MaxConnectionsPerAddress;

    /// <inheritdoc cref="OpcUaServerOptions.HandshakeStepTimeout"/>
    public TimeSpan HandshakeStepTimeout { get; set; } = Defaults.HandshakeStepTimeout;

    /// <inheritdoc cref="OpcUaServerOptions.SessionActivationTimeout"/>
    public TimeSpan SessionActivationTimeout { get; set; } = Defaults.SessionActivationTimeout;

    /// <inheritdoc cref="OpcUaServerOptions.MaxSessions"/>
    public int MaxSessions { get; set; } = Defaults.MaxSessions;

    /// <inheritdoc cref="OpcUaServerOptions.MaxNodesPerOperation"/>
    public int MaxNodesPerOperation { get; set; } = Defaults.MaxNodesPerOperation;

    /// <inheritdoc cref="OpcUaServerOptions.MaxMonitoredItemsPerCall"/>
    public int MaxMonitoredItemsPerCall { get; set; } = Defaults.MaxMonitoredItemsPerCall;

    /// <inheritdoc cref="OpcUaServerOptions.MaxReferencesPerNode"/>
    public int MaxReferencesPerNode { get; set; } = Defaults.MaxReferencesPerNode;

    /// <inheritdoc cref="OpcUaServerOptions.MaxContinuationPoints"/>
    public int MaxContinuationPoints { get; set; } = Defaults.MaxContinuationPoints;

    /// <inheritdoc cref="OpcUaServerOptions.MaxHistoryValuesPerNode"/>
    public int MaxHistoryValuesPerNode { get; set; } = Defaults.MaxHistoryValuesPerNode;

    /// <inheritdoc cref="OpcUaServerOptions.MaxHistoryValuesPerResponse"/>
    public int MaxHistoryValuesPerResponse { get; set; } = Defaults.MaxHistoryValuesPerResponse;

    /// <inheritdoc cref="OpcUaServerOptions.MaxSubscriptions"/>
    public int MaxSubscriptions { get; set; } = Defaults.MaxSubscriptions;

    /// <inheritdoc cref="OpcUaServerOptions.MaxSubscriptionsPerSession"/>
    public int MaxSubscriptionsPerSession { get; set; } = Defaults.MaxSubscriptionsPerSession;

    /// <inheritdoc cref="OpcUaServerOptions.MaxMonitoredItems"/>
    public int MaxMonitoredItems { get; set; } = Defaults.MaxMonitoredItems;

    /// <inheritdoc cref="OpcUaServerOptions.MaxMonitoredItemsPerSubscription"/>
    public int MaxMonitoredItemsPerSubscription { get; set; } = Defaults.MaxMonitoredItemsPerSubscription;

    /// <inheritdoc cref="OpcUaServerOptions.MaxQueueSize"/>
    public uint MaxQueueSize { get; set; } = Defaults.MaxQueueSize;

    /// <inheritdoc cref="OpcUaServerOptions.MaxBackgroundRequestsPerConnection"/>
    public int MaxBackgroundRequestsPerConnection { get; set; } = Defaults.MaxBackgroundRequestsPerConnection;

    /// <summary><paramref name="options"/> with these limits.</summary>
    public OpcUaServerOptions Apply(OpcUaServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options with
        {
            MaxConnections = MaxConnections,
            MaxConnectionsPerAddress = MaxConnectionsPerAddress,
            HandshakeStepTimeout = HandshakeStepTimeout,
            SessionActivationTimeout = SessionActivationTimeout,
            MaxSessions = MaxSessions,
            MaxNodesPerOperation = MaxNodesPerOperation,
            MaxMonitoredItemsPerCall = MaxMonitoredItemsPerCall,
            MaxReferencesPerNode = MaxReferencesPerNode,
            MaxContinuationPoints = MaxContinuationPoints,
            MaxHistoryValuesPerNode = MaxHistoryValuesPerNode,
            MaxHistoryValuesPerResponse = MaxHistoryValuesPerResponse,
            MaxSubscriptions = MaxSubscriptions,
            MaxSubscriptionsPerSession = MaxSubscriptionsPerSession,
            MaxMonitoredItems = MaxMonitoredItems,
            MaxMonitoredItemsPerSubscription = MaxMonitoredItemsPerSubscription,
            MaxQueueSize = MaxQueueSize,
            MaxBackgroundRequestsPerConnection = MaxBackgroundRequestsPerConnection,
        };
    }

    /// <summary>Adds one message per invalid limit, each starting with its key under <paramref name="sectionPath"/>.</summary>
    public void Validate(string sectionPath, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        (string Name, long Value)[] counts =
        [
            (nameof(MaxConnections), MaxConnections), (nameof(MaxConnectionsPerAddress), MaxConnectionsPerAddress), (nameof(MaxSessions), MaxSessions),
            (nameof(MaxNodesPerOperation), MaxNodesPerOperation), (nameof(MaxMonitoredItemsPerCall), MaxMonitoredItemsPerCall),
            (nameof(MaxReferencesPerNode), MaxReferencesPerNode), (nameof(MaxContinuationPoints), MaxContinuationPoints),
            (nameof(MaxHistoryValuesPerNode), MaxHistoryValuesPerNode), (nameof(MaxHistoryValuesPerResponse), MaxHistoryValuesPerResponse),
            (nameof(MaxSubscriptions), MaxSubscriptions), (nameof(MaxSubscriptionsPerSession), MaxSubscriptionsPerSession),
            (nameof(MaxMonitoredItems), MaxMonitoredItems), (nameof(MaxMonitoredItemsPerSubscription), MaxMonitoredItemsPerSubscription), (nameof(MaxQueueSize), MaxQueueSize),
            (nameof(MaxBackgroundRequestsPerConnection), MaxBackgroundRequestsPerConnection),
        ];
        foreach (var (name, value) in counts)
        {
            if (value < 1) errors.Add($"{sectionPath}:{name} must be at least 1");
        }
        if (MaxConnectionsPerAddress > MaxConnections) errors.Add($"{sectionPath}:MaxConnectionsPerAddress must not exceed MaxConnections");
        if (HandshakeStepTimeout < TimeSpan.FromMilliseconds(100)) errors.Add($"{sectionPath}:HandshakeStepTimeout must be at least 100 ms");
        if (SessionActivationTimeout < HandshakeStepTimeout) errors.Add($"{sectionPath}:SessionActivationTimeout must be at least HandshakeStepTimeout");
    }
}
