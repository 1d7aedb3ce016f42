namespace ThermalPlant.OpcUa.Server.Users;

/// <summary>What a role may do beyond browsing, which every activated session may.</summary>
[Flags]
public enum UserPermissions
{
    /// <summary>Browse only.</summary>
    None = 0,

    /// <summary>Read attributes and values.</summary>
    Read = 1,

    /// <summary>Read history (HistoryRead).</summary>
    HistoryRead = 2,

    /// <summary>Create subscriptions and monitored items (and take over subscriptions by TransferSubscriptions).</summary>
    Subscribe = 4,

    /// <summary>Write values of writable variables; a read-only variable stays read-only for every role.</summary>
    Write = 8,

    /// <summary>Everything.</summary>
    All = Read | HistoryRead | Subscribe | Write,
}
